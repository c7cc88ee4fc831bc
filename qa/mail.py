"""Outgoing mail: checked header values, one plain-text message shape, a stable Message-ID."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from qa.errors import HeaderInjection, QAError

MAX_ADDRESS = 254
MAX_HEADER = 200

# Deliberately plain: one @, no spaces, quotes, angle brackets or commas, so an address can never
# carry a second recipient or a display name of its own.
# The local part is ASCII (RFC 5322 atext and dots): a mail to any other needs SMTPUTF8, which
# the mail we build does not use, so such an address is refused here rather than failing later.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
_ADDRESS = re.compile(rf"^{_LOCAL}@{_DOMAIN}$")
# The same address as a JSON Schema pattern, for the API's documentation, with spaces allowed
# around it (the API strips them).
ADDRESS_PATTERN = rf"^\s*{_LOCAL}@{_DOMAIN}\s*$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidAddress(QAError):
    """An e-mail address that is not a plain user@domain."""

    code = "invalid_email"


def check_header_value(value: str, field: str, limit: int = MAX_HEADER) -> str:
    """`value` if it may go into a mail header; CR, LF or another control character is refused."""
    if "\r" in value or "\n" in value:
        raise HeaderInjection(
            f"{field}: must be on one line (no line breaks); remove the line break", field
        )
    if _CONTROL.search(value):
        raise HeaderInjection(f"{field}: contains a control character; remove it", field)
    if len(value) > limit:
        raise HeaderInjection(f"{field}: keep it to {limit} characters or fewer", field)
    return value


def check_address(value: str, field: str) -> str:
    """A plain address such as ana@example.com; otherwise an error naming `field`."""
    check_header_value(value, field, limit=10 * MAX_ADDRESS)
    if len(value) > MAX_ADDRESS or not _ADDRESS.match(value):
        raise InvalidAddress(
            f"{field}: is not an e-mail address; give one such as ana@example.com", field
        )
    return value


def new_message_id(sender: str) -> str:
    """A Message-ID unique to one mail; it stays the same however often the mail is sent."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    date: datetime,
    to_name: str | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    """A plain-text message; every header value is checked first, so none can add a header."""
    check_address(sender, "mail_from")
    check_address(to, "to")
    check_header_value(subject, "subject")
    if to_name is not None:
        check_header_value(to_name, "name")
    if reply_to is not None:
        check_address(reply_to, "reply_to")
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = formataddr((to_name, to)) if to_name else to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message
