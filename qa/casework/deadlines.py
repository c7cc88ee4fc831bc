"""The legal clock of a rights request: when to confirm, when to answer, how far it may extend.

Dates are calendar days in UTC. A business day is a Monday to Friday that is not a public
holiday of the calendar the rule is counted on (the `holidays` package's public holidays):

- California's (`holidays.country_holidays("US", subdiv="CA")`: the federal holidays and the
  state's own, e.g. Cesar Chavez Day and the Day After Thanksgiving) for the CCPA's 10 business
  days to confirm, and for the 15 business days of opt_out and limit under every jurisdiction
  but uk_gdpr: both clocks are the CCPA's and its regulations', which count a California
  business's working days (under gdpr and other too, since the rights are the CCPA's).
- England's (`holidays.country_holidays("GB", subdiv="ENG")`, the bank holidays of England and
  Wales, where the ICO sits) for opt_out and limit under uk_gdpr: the team answering a UK
  request works by them, and 15 such days stay well inside UK GDPR's one month either way.
  (The EU has no one calendar, and its month needs none.)
- GDPR's and UK GDPR's month, and the CCPA's 45 days, are calendar days: no calendar.

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
import functools
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from qa.vocabulary import JURISDICTIONS

# Rights the CPRA regulations give 15 business days, with no extension.
QUICK_RIGHTS = frozenset({"opt_out", "limit"})
QUICK_BUSINESS_DAYS = 15
CCPA_CONFIRM_BUSINESS_DAYS = 10
# The calendars business days are counted on: a name, and the `holidays` country and subdivision.
CALIFORNIA = "US-CA"
ENGLAND = "GB-ENG"
CALENDARS = {CALIFORNIA: ("US", "CA"), ENGLAND: ("GB", "ENG")}


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


@functools.cache
def public_holidays(calendar_name: str, year: int) -> frozenset[date]:
    """The public holidays of one calendar (CALIFORNIA, ENGLAND) in one year, observed days
    included (Christmas on a Saturday is also off on the Friday before)."""
    country, subdivision = CALENDARS[calendar_name]
    # Built per year and frozen: the package's own holiday dict grows as it is asked, which
    # is not safe to share between threads.
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_business_day(day: date, calendar_name: str | None) -> bool:
    """Monday to Friday, and not a public holiday of `calendar_name` (None: weekdays only)."""
    if day.weekday() >= 5:
        return False
    return calendar_name is None or day not in public_holidays(calendar_name, day.year)


def add_business_days(start: date, days: int, calendar_name: str | None = None) -> date:
    """The `days`-th business day after `start` (the day of receipt itself is not counted),
    leaving out the public holidays of `calendar_name` (None: weekends only)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_business_day(current, calendar_name):
            left -= 1
    return current


def business_calendar(jurisdiction: str) -> str:
    """The holidays a business-day clock under `jurisdiction` leaves out."""
    return ENGLAND if jurisdiction == "uk_gdpr" else CALIFORNIA


def deadlines(right: str, jurisdiction: str, received: date) -> Deadlines:
    """The deadlines of a request for `right` under `jurisdiction`, received on `received`."""
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"unknown jurisdiction {jurisdiction!r}")
    if right in QUICK_RIGHTS:
        quick = add_business_days(received, QUICK_BUSINESS_DAYS, business_calendar(jurisdiction))
        return Deadlines(None, quick, None)
    if jurisdiction == "ccpa":
        return Deadlines(
            add_business_days(received, CCPA_CONFIRM_BUSINESS_DAYS, CALIFORNIA),
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


def deadline_lines(right: str, jurisdiction: str, on: date) -> list[str]:
    """What the law gives us to answer, in dates, for a request sent on `on`."""
    clock = deadlines(right, jurisdiction, on)
    due = long_date(clock.due)
    if right in QUICK_RIGHTS:
        what = (
            "an opt-out" if right == "opt_out" else "a request to limit the use of sensitive data"
        )
        return [
            f"We act on {what} within {QUICK_BUSINESS_DAYS} business days: if you send it "
            f"today, by {due}."
        ]
    extended = long_date(clock.extended_due) if clock.extended_due else ""
    if jurisdiction == "ccpa":
        return [
            "Under the CCPA, we confirm that we have your request within "
            f"{CCPA_CONFIRM_BUSINESS_DAYS} business days "
            f"(by {long_date(clock.confirm_by or clock.due)}) and answer within 45 days: "
            f"if you send it today, by {due}.",
            f"If we need longer, we may take 45 more days once (until {extended}) and would "
            "tell you why before the first 45 days are up.",
        ]
    law = {"gdpr": "Under the EU GDPR", "uk_gdpr": "Under the UK GDPR"}.get(
        jurisdiction, "Wherever you live"
    )
    return [
        f"{law}, we answer within one month of receiving your request: if you send it "
        f"today, by {due}.",
        "If your request is complex or you have sent several, we may take up to two more "
        f"months (until {extended}) and would tell you why within the first month.",
    ]


def promise(confirm_by: date | None, due: date) -> str:
    """A request's dates in a sentence the requester can act on (the mails say it)."""
    if confirm_by is not None:
        return (
            f"We will confirm that we have it by {long_date(confirm_by)}, and answer it "
            f"by {long_date(due)}."
        )
    return f"We will answer it by {long_date(due)}."


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
