"""E-mail addresses and header values as the assistant accepts them: checks that refuse what
could inject a header or a second recipient, and the mailbox an address reaches. Shared by the
settings, the API's validation and the mail it builds, so it depends on nothing but the errors."""

from __future__ import annotations

import re

from qa.errors import HeaderInjection, QAError

MAX_ADDRESS = 254
MAX_HEADER = 200

# Deliberately plain: one @, no spaces, quotes, angle brackets or commas, so an address can never
# carry a second recipient or a display name of its own.
# The local part is an RFC 5322 dot-atom of ASCII atext: a mail to any other needs SMTPUTF8,
# which the mail we build does not use, and a dot at either end or two together (".ana", "a..b")
# is refused by the mail's own To header, so such an address is refused here, naming the field,
# rather than failing when its mail is built.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
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
