"""The legal clock of a rights request: when to confirm, when to answer, how far it may extend.

Dates are calendar days in UTC. Business days are Monday to Friday; public holidays are not
counted out (they differ by country and state), so a deadline that crosses one is a day early,
never late.

- GDPR and UK GDPR (Art. 12(3)): one calendar month from receipt, to the same day of the next
  month, or that month's last day where the day does not exist (31 January -> 28 or 29
  February); extendable by two further months, with the reason given within the first month.
- CCPA (Cal. Code Regs. tit. 11, §7021): confirm receipt within 10 business days and answer
  within 45 calendar days; extendable once by 45 more, with notice within the first 45.
- opt_out (§7026(f)) and limit, the use of sensitive personal information (§7027(g)): act
  within 15 business days, whatever the jurisdiction (the rights are the CCPA's, and the
  shorter clock is never late under another law); not extendable, no confirmation step.
- other jurisdictions: the GDPR's month, the strictest common rule.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

JURISDICTIONS = ("gdpr", "uk_gdpr", "ccpa", "other")
# Rights the CPRA regulations give 15 business days, with no extension.
QUICK_RIGHTS = frozenset({"opt_out", "limit"})
QUICK_BUSINESS_DAYS = 15


@dataclass(frozen=True)
class Deadlines:
    """A request's dates: confirm by (CCPA only), answer by, and the latest extended date."""

    confirm_by: date | None
    due: date
    extended_due: date | None

    @property
    def extendable(self) -> bool:
        """Whether the law allows an extension at all."""
        return self.extended_due is not None


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or that month's last day where the day does not exist."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_business_days(start: date, days: int) -> date:
    """The `days`-th Monday-to-Friday after `start` (the day of receipt itself is not counted)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def deadlines(right: str, jurisdiction: str, received: date) -> Deadlines:
    """The deadlines of a request for `right` under `jurisdiction`, received on `received`."""
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"unknown jurisdiction {jurisdiction!r}")
    if right in QUICK_RIGHTS:
        return Deadlines(None, add_business_days(received, QUICK_BUSINESS_DAYS), None)
    if jurisdiction == "ccpa":
        return Deadlines(
            add_business_days(received, 10),
            received + timedelta(days=45),
            received + timedelta(days=90),
        )
    return Deadlines(None, add_months(received, 1), add_months(received, 3))


def may_extend(deadline: Deadlines, today: date) -> str | None:
    """None if the request may be extended today, else why not."""
    if deadline.extended_due is None:
        return "this right's deadline cannot be extended"
    if today > deadline.due:
        return f"an extension must be given by the first deadline, {deadline.due.isoformat()}"
    return None


def long_date(value: date) -> str:
    """A date as people write it: 5 March 2026 (the same in every locale the server runs in)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
