"""Rate limits as data: how many requests of each kind a client may make, and how fast.

PRIVACY_QA_RATE_LIMITS holds comma-separated `NAME=COUNT/PERIOD[:BURST]` items (PERIOD is
s, min, h or day; BURST defaults to COUNT), or `NAME=off`; names not given keep their
defaults, and the value `off` alone turns every limit off (for load tests). A client gets a
bucket of BURST requests per kind that refills at COUNT per PERIOD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

PERIODS = {"s": 1.0, "min": 60.0, "h": 3600.0, "day": 86400.0}
_UNITS = {
    "s": "s",
    "sec": "s",
    "second": "s",
    "m": "min",
    "min": "min",
    "minute": "min",
    "h": "h",
    "hour": "h",
    "d": "day",
    "day": "day",
}
_ITEM = re.compile(r"(?P<count>\d+)\s*/\s*(?P<unit>[a-z]+)(?:\s*:\s*(?P<burst>\d+))?")


@dataclass(frozen=True)
class Limit:
    """`count` requests per `per` (s, min, h, day), in bursts of up to `burst`; count 0: off."""

    name: str
    count: int
    per: str
    burst: int
    help: str = ""

    @property
    def off(self) -> bool:
        """No limit of this kind."""
        return self.count == 0

    @property
    def period(self) -> float:
        """The period in seconds."""
        return PERIODS[self.per]

    @property
    def rate(self) -> float:
        """Requests per second the bucket refills by."""
        return self.count / self.period

    def __str__(self) -> str:
        if self.off:
            return f"{self.name}=off"
        burst = "" if self.burst == self.count else f":{self.burst}"
        return f"{self.name}={self.count}/{self.per}{burst}"


# A person never meets these; a script meets each within a couple of hundred rapid requests.
DEFAULT_LIMITS = (
    Limit("ask", 60, "min", 60, "questions: /api/ask, the chat page /, /widget, /api/feedback"),
    Limit(
        "submit",
        30,
        "h",
        20,
        "rights requests and escalations, from the API or the forms (valid or not)",
    ),
    Limit(
        "lookup",
        60,
        "h",
        30,
        "a rights request's status (API and page) and the verification link",
    ),
    Limit("support", 300, "min", 150, "the support API, per client, with or without a key"),
    Limit("read", 300, "min", 150, "everything else: the policy, pages, static files"),
    Limit(
        "verify_mail",
        3,
        "day",
        3,
        "mail that submissions send to one mailbox (verification links and acknowledgements, "
        "every right), however it is spelled and whoever asks; beyond it requests are recorded "
        "without mail",
    ),
)
NAMES = tuple(limit.name for limit in DEFAULT_LIMITS)


def parse_limits(text: str) -> tuple[Limit, ...]:
    """The limits `text` sets, over the defaults; a ValueError says what is wrong."""
    text = text.strip()
    if text.lower() == "off":
        return tuple(replace(limit, count=0) for limit in DEFAULT_LIMITS)
    limits = {limit.name: limit for limit in DEFAULT_LIMITS}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, spec = (s.strip().lower() for s in item.partition("="))
        if not sep or name not in limits:
            raise ValueError(
                f"{item!r}: write NAME=COUNT/PERIOD[:BURST] or NAME=off, NAME one of "
                f"{', '.join(NAMES)} (or the whole value off)"
            )
        if spec == "off":
            limits[name] = replace(limits[name], count=0)
            continue
        found = _ITEM.fullmatch(spec)
        unit = _UNITS.get(found.group("unit")) if found else None
        if found is None or unit is None:
            raise ValueError(
                f"{item!r}: write {name}=COUNT/PERIOD[:BURST] with PERIOD s, min, h or day, "
                f"e.g. {name}=60/min:30, or {name}=off"
            )
        count = int(found.group("count"))
        burst = int(found.group("burst") or count)
        if count < 1 or burst < 1:
            raise ValueError(f"{item!r}: COUNT and BURST must be 1 or more; use {name}=off")
        limits[name] = replace(limits[name], count=count, per=unit, burst=burst)
    return tuple(limits[name] for name in NAMES)


def limit_named(limits: tuple[Limit, ...], name: str) -> Limit:
    """The limit called `name`."""
    return next(limit for limit in limits if limit.name == name)
