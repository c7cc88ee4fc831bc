"""Outgoing mail: checked header values, one plain-text message shape, a stable Message-ID."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from qa.errors import HeaderInjection, QAError

MAX_ADDRESS = 254
MAX_HEADER = 200
MAX_DISPLAY_NAME = 64

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
# What a display name may not hold: the specials that end a name or start another address, and
# characters that break or reorder a line (controls, format characters such as U+202E, line and
# paragraph separators). "=?" would be decoded as an RFC 2047 encoded word by the reader.
_NAME_SPECIALS = frozenset('<>,;:"@\\')
_NAME_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


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


def display_name(name: str | None) -> str | None:
    """`name` as it may stand before an address in a To line, or None to leave it out.

    A name is shown only when it is plain: at most MAX_DISPLAY_NAME characters, none of
    `<>,;:"@\\`, no control, format or separator character, no encoded-word opener `=?`. Runs of
    spaces are collapsed; a name that needed anything more is left out rather than repaired, so
    whatever the visitor typed, the To line holds one recipient and the name cannot pose as one.
    """
    if name is None:
        return None
    name = unicodedata.normalize("NFC", name)
    if "=?" in name or any(
        c in _NAME_SPECIALS or unicodedata.category(c) in _NAME_BAD_CATEGORIES for c in name
    ):
        return None
    # What is left of the whitespace is spaces (category Zs): runs become one space.
    plain = " ".join(name.split())
    return plain if 0 < len(plain) <= MAX_DISPLAY_NAME else None


def quoted(text: str | None, missing: str = "(none given)") -> str:
    """Visitor text for a staff mail: every line prefixed with "> ", so that nothing the visitor
    typed (a "Name:" line, say) can pass for a line of ours. Every Unicode line break counts."""
    if text is None or not text.strip():
        return missing
    return "\n".join("> " + line for line in text.splitlines())


# Providers that ignore dots in the local part (a.na@gmail.com is ana@gmail.com).
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalise_mailbox(address: str) -> str:
    """The mailbox an address reaches, for counting mail to it: case folded, a `+tag` cut from
    the local part, and for gmail.com and googlemail.com the dots dropped (one domain)."""
    local, _, domain = address.strip().casefold().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


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
    """A plain-text message; every header value is checked first, so none can add a header, and
    the To line is built as one Address, with the name only when `display_name` allows it."""
    check_address(sender, "mail_from")
    check_address(to, "to")
    check_header_value(subject, "subject")
    if to_name is not None:
        check_header_value(to_name, "name")
    if reply_to is not None:
        check_address(reply_to, "reply_to")
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    name = display_name(to_name)
    message["To"] = Address(display_name=name, addr_spec=to) if name else Address(addr_spec=to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message
