"""The legal clock: every rule with its edge dates (month ends, leap years, weekends, public
holidays). Every expected date is counted by hand in the comment beside it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qa.casework.deadlines import (
    CALIFORNIA,
    ENGLAND,
    add_business_days,
    add_months,
    deadlines,
    is_business_day,
    may_extend,
)


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
    # 21-24 Dec (4), Christmas off, 28-31 (8), New Year off, 4-8 Jan (13), 11, 12 (15).
    assert limit.due == date(2027, 1, 12)
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


@pytest.mark.parametrize(
    ("day", "calendar_name", "expected"),
    [
        (date(2026, 11, 26), CALIFORNIA, False),  # Thanksgiving
        (date(2026, 11, 27), CALIFORNIA, False),  # the Day After Thanksgiving, a state holiday
        (date(2026, 11, 27), ENGLAND, True),
        (date(2026, 3, 31), CALIFORNIA, False),  # Cesar Chavez Day
        (date(2026, 12, 28), ENGLAND, False),  # Boxing Day, on a Saturday, observed Monday
        (date(2026, 12, 28), CALIFORNIA, True),
        (date(2027, 12, 31), CALIFORNIA, False),  # New Year's Day 2028 is a Saturday: observed
        (date(2026, 4, 3), ENGLAND, False),  # Good Friday
        (date(2026, 4, 3), CALIFORNIA, True),
        (date(2026, 11, 26), None, True),  # no calendar: weekdays only
        (date(2026, 11, 28), None, False),  # a Saturday
    ],
)
def test_business_days_leave_out_the_public_holidays_of_their_calendar(
    day: date, calendar_name: str | None, expected: bool
) -> None:
    assert is_business_day(day, calendar_name) is expected


@pytest.mark.parametrize(
    ("received", "confirm_by"),
    [
        # Friday before Thanksgiving: 23-25 Nov (3), 26 and 27 off, 30 Nov-4 Dec (8), 7, 8 (10).
        (date(2026, 11, 20), date(2026, 12, 8)),
        # The 10th weekday would be Thanksgiving itself: 13 (1), 16-20 (6), 23-25 (9), 26 and 27
        # off, Monday 30 (10).
        (date(2026, 11, 12), date(2026, 11, 30)),
        # Christmas and New Year, both Fridays: 21-24 Dec (4), 25 off, 28-31 (8), 1 Jan off,
        # 4, 5 Jan (10).
        (date(2026, 12, 18), date(2027, 1, 5)),
        # Christmas 2027 and New Year 2028 fall on Saturdays, observed on the Fridays before:
        # 20-23 Dec (4), 24 off, 27-30 (8), 31 off, 3, 4 Jan 2028 (10).
        (date(2027, 12, 17), date(2028, 1, 4)),
        # Friday before a Monday holiday (Martin Luther King Jr. Day, 19 Jan): 20-23 (4),
        # 26-30 (9), 2 Feb (10).
        (date(2026, 1, 16), date(2026, 2, 2)),
        # Next to Cesar Chavez Day (Tuesday 31 March): 18-20 (3), 23-27 (8), 30 (9), 31 off,
        # 1 April (10).
        (date(2026, 3, 17), date(2026, 4, 1)),
    ],
)
def test_ccpa_confirmation_counts_california_business_days(
    received: date, confirm_by: date
) -> None:
    clock = deadlines("access", "ccpa", received)
    assert clock.confirm_by == confirm_by
    assert clock.due == received + timedelta(days=45)  # the answer's clock is calendar days


@pytest.mark.parametrize("right", ["opt_out", "limit"])
@pytest.mark.parametrize(
    ("jurisdiction", "received", "due"),
    [
        # California, across Thanksgiving: 17-20 Nov (4), 23-25 (7), 26 and 27 off,
        # 30 Nov-4 Dec (12), 7-9 (15).
        ("ccpa", date(2026, 11, 16), date(2026, 12, 9)),
        ("gdpr", date(2026, 11, 16), date(2026, 12, 9)),  # the CCPA's right: California's days
        ("other", date(2026, 11, 16), date(2026, 12, 9)),
        # Friday before Labor Day (Monday 7 Sept): 8-11 (4), 14-18 (9), 21-25 (14), 28 (15).
        ("ccpa", date(2026, 9, 4), date(2026, 9, 28)),
        # Easter in England (Good Friday 3 April, Easter Monday 6 April): 23-27 Mar (5),
        # 30 Mar-2 Apr (9), 3 and 6 off, 7-10 (13), 13, 14 (15).
        ("uk_gdpr", date(2026, 3, 20), date(2026, 4, 14)),
        # The same receipt in California: 23-27 Mar (5), 30 (6), 31 off (Cesar Chavez),
        # 1-3 Apr (9), 6-10 (14), 13 (15).
        ("ccpa", date(2026, 3, 20), date(2026, 4, 13)),
        # Friday before England's early May bank holiday (Monday 4 May): 5-8 (4), 11-15 (9),
        # 18-22 (14), 25 off (spring bank holiday, where the 15th day would land), 26 (15).
        ("uk_gdpr", date(2026, 5, 1), date(2026, 5, 26)),
        # California works on 4 May: 4-8 (5), 11-15 (10), 18-22 (15).
        ("ccpa", date(2026, 5, 1), date(2026, 5, 22)),
        # England's Christmas: 21-24 Dec (4), 25 and 28 (Boxing Day observed) off, 29-31 (7),
        # 1 Jan off, 4-8 (12), 11-13 (15).
        ("uk_gdpr", date(2026, 12, 18), date(2027, 1, 13)),
    ],
)
def test_opt_out_and_limit_count_the_jurisdictions_business_days(
    right: str, jurisdiction: str, received: date, due: date
) -> None:
    assert deadlines(right, jurisdiction, received).due == due


def test_the_months_of_gdpr_are_calendar_days_even_onto_a_holiday() -> None:
    # One month from 25 November is Christmas Day: kept (a later day would be the law's latest,
    # so this is early, never late).
    assert deadlines("access", "gdpr", date(2026, 11, 25)).due == date(2026, 12, 25)
    assert deadlines("access", "uk_gdpr", date(2026, 11, 25)).due == date(2026, 12, 25)
    # The CCPA's 45 days onto Thanksgiving: 12 October + 45 days = 26 November, kept.
    assert deadlines("access", "ccpa", date(2026, 10, 12)).due == date(2026, 11, 26)


def test_business_days_without_a_calendar_skip_weekends_only() -> None:
    # 23-25 Nov (3), 26 and 27 counted (no calendar), 30 Nov-3 Dec (9), 4 Dec (10).
    assert add_business_days(date(2026, 11, 20), 10) == date(2026, 12, 4)
    assert add_business_days(date(2026, 11, 20), 10, CALIFORNIA) == date(2026, 12, 8)
