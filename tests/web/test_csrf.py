"""Form tokens and the same-origin check that stand in for cookies against forged forms."""

from __future__ import annotations

import pytest

from web.middleware.csrf import FormRefused, FormTokens, check_same_origin


class Clock:
    """A settable clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_checks_for_its_purpose_and_gives_its_nonce() -> None:
    tokens = FormTokens("secret")
    token = tokens.issue("rights-request")
    nonce = tokens.check(token, "rights-request")
    assert nonce == token.split(".")[1] and len(nonce) >= 22  # 128 random bits
    assert tokens.issue("rights-request") != token


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: str(int(t.split(".")[0]) + 1) + t[t.index(".") :],
        lambda t: "",
        lambda t: "not.a-token",
        lambda t: "1.2.3",
    ],
    ids=["mac-changed", "time-changed", "empty", "malformed", "forged"],
)
def test_a_changed_or_made_up_token_is_refused(mutate: object) -> None:
    tokens = FormTokens("secret")
    token = mutate(tokens.issue("escalation"))  # type: ignore[operator]
    with pytest.raises(FormRefused, match="reload the page"):
        tokens.check(token, "escalation")


def test_a_token_for_another_form_or_from_another_secret_is_refused() -> None:
    token = FormTokens("secret").issue("escalation")
    with pytest.raises(FormRefused):
        FormTokens("secret").check(token, "rights-request")
    with pytest.raises(FormRefused):
        FormTokens("another secret").check(token, "escalation")


def test_a_token_expires_after_max_age() -> None:
    clock = Clock(1_000_000.0)
    tokens = FormTokens("secret", max_age=3600, clock=clock)
    token = tokens.issue("escalation")
    clock.now += 3600
    tokens.check(token, "escalation")
    clock.now += 1
    with pytest.raises(FormRefused, match="open too long"):
        tokens.check(token, "escalation")


OWN = ("http://127.0.0.1:8000", "https://privacy.example.com")


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "same-origin", "origin": "https://evil.example"},
        {"sec-fetch-site": "none"},
        {"origin": "https://privacy.example.com"},
        {"origin": "HTTP://127.0.0.1:8000"},
        {},
    ],
)
def test_posts_from_our_own_pages_or_from_no_browser_pass(headers: dict[str, str]) -> None:
    check_same_origin(headers, OWN)


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site", "origin": "https://evil.example"},
        {"sec-fetch-site": "same-site", "origin": "https://shop.example.com"},
        {"origin": "https://evil.example"},
        {"origin": "null"},
    ],
)
def test_posts_a_browser_says_came_from_elsewhere_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(FormRefused, match="another site"):
        check_same_origin(headers, OWN)


HOSTILE_TOKENS = [
    "1.a.\u00e9",  # a non-ASCII MAC: hmac.compare_digest refuses non-ASCII str
    "\u00e9.a.b",
    "\u00b2.a.b",  # a digit to str.isdigit, not to int()
    "\u0661\u0662\u0663.a.b",  # Arabic-Indic digits, which int() reads as 123
    "1..",
    "..",
    ".a.b",
    "1.\x00.\x00",
    "\x00",
    "9" * 5000 + ".a.b",  # past int()'s 4300-digit limit
    "1." + "a" * 100_000 + ".b",
    "1.a." + "\U0001f600" * 50,
]


@pytest.mark.parametrize("token", HOSTILE_TOKENS, ids=range(len(HOSTILE_TOKENS)))
def test_a_hostile_token_is_refused_not_raised_on(token: str) -> None:
    with pytest.raises(FormRefused, match="reload the page"):
        FormTokens("secret").check(token, "escalation")
