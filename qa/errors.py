"""Domain errors: each message names the thing that is wrong and how to fix it.

They carry no HTTP status: web/errors.py maps each class to one (`HTTP_STATUSES`), so the CLI and
the casework desk speak in domain words only.
"""

from __future__ import annotations


class QAError(Exception):
    """Base of the assistant's errors; `field` names the input at fault, where there is one."""

    code = "invalid_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UnknownDocument(QAError):
    """A `document` was named that the assistant does not hold."""

    code = "unknown_document"


class UnknownSection(QAError):
    """A section id was named that the document does not have."""

    code = "unknown_section"


class InvalidQuestion(QAError):
    """The question is empty, too long or otherwise unusable."""

    code = "invalid_question"


class SettingsError(QAError):
    """A setting has a bad value; the message names the environment variable."""

    code = "bad_setting"


class NoPrivacyMailbox(QAError):
    """Rights requests and escalations are off: there is nowhere to send them."""

    code = "privacy_email_not_set"

    def __init__(self) -> None:
        super().__init__(
            "rights requests and escalations are off: the policy names no contact e-mail and "
            "PRIVACY_QA_PRIVACY_EMAIL is not set; the operator must set PRIVACY_QA_PRIVACY_EMAIL "
            "to the privacy team's address"
        )


class NotFound(QAError):
    """No such record, or the token does not match it (the two look the same from outside)."""

    code = "not_found"


class Conflict(QAError):
    """The request cannot be carried out in the record's present state."""

    code = "conflict"


class BadTransition(Conflict):
    """A status change the rules do not allow, e.g. from completed back to in_progress."""

    code = "bad_transition"


class IdempotencyMismatch(QAError):
    """An Idempotency-Key was used before with a different body."""

    code = "idempotency_key_reused"


class HeaderInjection(QAError):
    """A CR or LF in a value bound for a mail header (name, subject, address)."""

    code = "header_injection"


class TooManyRequests(QAError):
    """A limit was reached (e.g. verification mails to one address); try after `retry_after` s."""

    code = "rate_limited"

    def __init__(self, message: str, field: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


class MailLimited(Conflict):
    """No new verification link: the address had its share of mail for the period."""

    code = "mail_limit"


class LinkNotValid(QAError):
    """A verification link that is unknown, already used or expired (`reason` says which)."""

    code = "link_not_valid"

    def __init__(self, message: str, reason: str, reference: str | None = None) -> None:
        super().__init__(message, "token")
        self.reason = reason
        # Only for an expired link, whose page offers to send a new one for this request.
        self.reference = reference
