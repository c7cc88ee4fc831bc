"""Outgoing mail: checked header values, one plain-text message shape, a stable Message-ID."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from qa.addresses import ADDRESS_PATTERN as ADDRESS_PATTERN
from qa.addresses import check_address, check_header_value

MAX_DISPLAY_NAME = 64

# What a display name may not hold: the specials that end a name or start another address, and
# characters that break or reorder a line (controls, format characters such as U+202E, line and
# paragraph separators). "=?" would be decoded as an RFC 2047 encoded word by the reader.
_NAME_SPECIALS = frozenset('<>,;:"@\\')
_NAME_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


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
