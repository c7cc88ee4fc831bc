"""Domain errors: each message names the thing that is wrong and how to fix it."""

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
