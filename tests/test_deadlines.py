"""The legal clock: every rule with its edge dates (month ends, leap years, weekends)."""

from __future__ import annotations

from datetime import date

import pytest

from qa.deadlines import add_business_days, add_months, deadlines, may_extend


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 1, 30), 1, date(2028, 2, 29)),
        (date(2028, 2, 29), 1, date(2028, 3, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # across the year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # 2000 is
    ],
)
def test_add_months_clamps_to_the_last_day_of_shorter_months(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 2), 1, date(2026, 3, 3)),  # Monday -> Tuesday
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday -> Monday
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday -> Monday
        (date(2026, 3, 8), 1, date(2026, 3, 9)),  # Sunday -> Monday
        (date(2026, 3, 6), 10, date(2026, 3, 20)),  # Friday + 10 -> Friday two weeks on
        (date(2026, 3, 7), 10, date(2026, 3, 20)),  # Saturday + 10 -> the same Friday
        (date(2026, 3, 2), 15, date(2026, 3, 23)),  # Monday + 15 -> Monday three weeks on
        (date(2028, 2, 25), 3, date(2028, 3, 1)),  # across 29 February of a leap year
    ],
)
def test_business_days_skip_weekends(start: date, days: int, expected: date) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize("jurisdiction", ["gdpr", "uk_gdpr", "other"])
def test_gdpr_one_month_from_31_january_ends_on_the_last_day_of_february(
    jurisdiction: str,
) -> None:
    clock = deadlines("access", jurisdiction, date(2026, 1, 31))
    assert clock.confirm_by is None
    assert clock.due == date(2026, 2, 28)
    assert clock.extended_due == date(2026, 4, 30)  # two further months
    leap = deadlines("erasure", jurisdiction, date(2028, 1, 31))
    assert leap.due == date(2028, 2, 29)


def test_ccpa_confirms_in_10_business_days_and_answers_in_45_then_90_days() -> None:
    clock = deadlines("access", "ccpa", date(2026, 3, 6))  # a Friday
    assert clock.confirm_by == date(2026, 3, 20)
    assert clock.due == date(2026, 4, 20)
    assert clock.extended_due == date(2026, 6, 4)
    weekend = deadlines("erasure", "ccpa", date(2026, 3, 7))  # a Saturday
    assert weekend.confirm_by == date(2026, 3, 20)
    assert weekend.due == date(2026, 4, 21)  # calendar days, weekends included
    leap = deadlines("access", "ccpa", date(2028, 1, 31))
    assert leap.due == date(2028, 3, 16)  # 45 days across 29 February


@pytest.mark.parametrize("right", ["opt_out", "limit"])
@pytest.mark.parametrize("jurisdiction", ["gdpr", "uk_gdpr", "ccpa", "other"])
def test_opt_out_and_limit_are_15_business_days_and_cannot_be_extended(
    right: str, jurisdiction: str
) -> None:
    clock = deadlines(right, jurisdiction, date(2026, 3, 6))  # a Friday
    assert clock.due == date(2026, 3, 27)
    assert clock.confirm_by is None
    assert not clock.extendable
    assert may_extend(clock, date(2026, 3, 9)) == "this right's deadline cannot be extended"


def test_ccpa_limit_is_not_the_45_days_of_other_ccpa_requests() -> None:
    received = date(2026, 12, 18)  # a Friday, with two weekends and the new year ahead
    limit = deadlines("limit", "ccpa", received)
    assert limit.due == date(2027, 1, 8)  # 15 business days (public holidays not counted out)
    assert limit.due < deadlines("access", "ccpa", received).due == date(2027, 2, 1)


def test_extension_is_allowed_up_to_the_first_deadline_and_not_a_day_later() -> None:
    clock = deadlines("access", "gdpr", date(2026, 1, 31))
    assert may_extend(clock, date(2026, 2, 28)) is None
    assert may_extend(clock, date(2026, 3, 1)) is not None
    ccpa = deadlines("access", "ccpa", date(2026, 3, 6))
    assert may_extend(ccpa, date(2026, 4, 20)) is None
    assert may_extend(ccpa, date(2026, 4, 21)) is not None


def test_unknown_jurisdiction_is_refused() -> None:
    with pytest.raises(ValueError, match="jurisdiction"):
        deadlines("access", "mars", date(2026, 1, 1))
