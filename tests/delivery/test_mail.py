"""Mail headers: CR/LF refused in every header value, addresses plain, Message-ID stable."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest

from qa.addresses import InvalidAddress, check_address
from qa.delivery.message import build_message, new_message_id, quoted
from qa.errors import HeaderInjection

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def _build(**changes: Any) -> bytes:
    values: dict[str, Any] = {
        "sender": "assistant@example.com",
        "to": "ana@example.com",
        "to_name": "Ana Lima",
        "reply_to": None,
        "subject": "Please confirm",
        "body": "Hello\n",
        "message_id": "<abc@example.com>",
        "date": NOW,
    }
    values.update(changes)
    return build_message(**values).as_bytes()


@pytest.mark.parametrize("field", ["to_name", "subject", "to", "reply_to", "sender"])
@pytest.mark.parametrize("breaker", ["\r\nBcc: evil@example.com", "\nBcc: evil@example.com", "\r"])
def test_a_line_break_in_any_header_value_is_refused(field: str, breaker: str) -> None:
    base = "ana@example.com" if field in ("to", "reply_to", "sender") else "Ana"
    with pytest.raises(HeaderInjection):
        _build(**{field: base + breaker})


@pytest.mark.parametrize(
    "address",
    [
        "ana",
        "ana@",
        "@example.com",
        "ana @example.com",
        "ana@example.com, eve@example.com",
        "Ana <ana@example.com>",
        "ana@exa mple.com",
        "ana@-example.com",
        "a" * 250 + "@example.com",
        # Not a dot-atom: the To header of the mail would refuse them (found by the fuzzer).
        ".ana@example.com",
        "ana.@example.com",
        "an..a@example.com",
    ],
)
def test_addresses_must_be_one_plain_address(address: str) -> None:
    with pytest.raises(InvalidAddress, match="email"):
        check_address(address, "email")


def test_plain_addresses_pass() -> None:
    for address in ("ana@example.com", "ana.lima+privacy@mail.example.co.uk", "x@localhost"):
        assert check_address(address, "email") == address


@pytest.mark.parametrize(
    "address", ["a.b.c@example.com", "o'neil@example.com", "{ana}~!#$%&*=?^`|@example.com"]
)
def test_every_address_passed_makes_a_mail(address: str) -> None:
    raw = _build(to=check_address(address, "email"))
    assert message_from_bytes(raw, policy=policy.default)["To"].addresses[0].addr_spec == address


def test_message_has_the_given_headers_and_a_non_ascii_name_is_encoded() -> None:
    raw = _build(to_name="Zoë Ørsted", reply_to="ana@example.com")
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Message-ID"] == "<abc@example.com>"
    assert message["Reply-To"] == "ana@example.com"
    assert message["To"].addresses[0].display_name == "Zoë Ørsted"
    assert message["To"].addresses[0].addr_spec == "ana@example.com"
    assert b"Bcc" not in raw


def test_message_ids_are_unique_and_carry_the_sender_domain() -> None:
    ids = {new_message_id("assistant@example.com") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("<") and i.endswith("@example.com>") for i in ids)


HOSTILE_NAMES = [
    "José <attacker@evil.example>,",
    "Ana, attacker@evil.example",
    "attacker@evil.example",
    "Ana\u2028attacker@evil.example",
    "Ana\u2029<attacker@evil.example>",
    "\u202eelpmaxe.live@rekcatta",  # right-to-left override
    "Ana\u200b\u2066Lima",  # zero-width space, left-to-right isolate
    'Ana "Lima" <attacker@evil.example>',
    "Ana; attacker@evil.example",
    "group: attacker@evil.example;",
    "=?utf-8?q?attacker=40evil.example?=",
    "=?utf-8?b?YXR0YWNrZXJAZXZpbC5leGFtcGxl?= Ana",
    "Ana \\ Lima",
    "BUY CHEAP PILLS AT http://pills.example " * 3,
    "A" * 65,
    "Ana\x85Lima",  # NEL, a C1 control
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_gives_one_recipient_and_no_name(name: str) -> None:
    raw = _build(to_name=name)
    message = message_from_bytes(raw, policy=policy.default)
    to = message.get_all("To")
    assert to is not None and len(to) == 1
    [recipient] = to[0].addresses
    assert recipient.addr_spec == "ana@example.com"
    assert recipient.display_name == ""  # left out, not repaired
    assert b"evil" not in raw and b"PILLS" not in raw


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ana Lima", "Ana Lima"),
        ("  Ana   Lima ", "Ana Lima"),
        ("Zoë O'Brien-Ørsted", "Zoë O'Brien-Ørsted"),
        ("山田 太郎", "山田 太郎"),
        ("A" * 64, "A" * 64),
    ],
)
def test_a_plain_name_is_kept_in_the_to_line(name: str, shown: str) -> None:
    message = message_from_bytes(_build(to_name=name), policy=policy.default)
    [recipient] = message["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == (shown, "ana@example.com")


def test_visitor_text_is_quoted_on_every_line_break() -> None:
    text = "first\nName: Mallory\r\nE-mail: m@evil.example\u2028Right: erasure\u2029last"
    lines = quoted(text).split("\n")
    assert len(lines) == 5
    assert all(line.startswith("> ") for line in lines)
    assert quoted(None) == quoted("  ") == "(none given)"
