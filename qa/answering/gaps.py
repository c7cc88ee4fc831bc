"""The gap report: what visitors asked that the policy did not answer, and the sections they
found unhelpful, over the last N days.

Declined questions come from the opt-in question log (qa/answering/questions.py), which is off by
default: then the report says so (`question_log: "off"`) instead of showing an empty list as
if nobody had asked anything. The questions there are redacted already.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from index.library import Library
from qa.answering.feedback import FeedbackCounts
from qa.storage.schema import question_log, utcnow
from qa.storage.store import Store

DEFAULT_DAYS = 30
MAX_DAYS = 3660
DEFAULT_LIMIT = 100
# Declined, but not gaps: a greeting, or a message with no words to search.
NOT_GAPS = ("social", "no_terms")
_APOSTROPHES = re.compile(r"['\u2019\u02bc]")


def normalise_question(text: str) -> str:
    """The form questions are grouped by: case folded, punctuation out, spaces collapsed
    ("Do you sell my data?" and "do you  sell my data" are one question)."""
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
    kept = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(kept.split())


@dataclass(frozen=True)
class DeclinedQuestion:
    """A question the assistant declined, with the times it was asked in the period."""

    question: str
    count: int
    last_seen: date
    kinds: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "question": self.question,
            "count": self.count,
            "last_seen": self.last_seen.isoformat(),
            "kinds": dict(self.kinds),
        }


@dataclass(frozen=True)
class UnhelpfulSection:
    """A section that visitors said did not help, with its yes and no counts in the period."""

    document: str
    section_id: str
    heading: str | None
    helpful: int
    not_helpful: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "document": self.document,
            "section_id": self.section_id,
            "heading": self.heading,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
        }


@dataclass(frozen=True)
class GapReport:
    """Declined questions, most asked first, and unhelpful sections, most noes first."""

    period_from: date
    period_to: date
    question_log_days: int
    declined: tuple[DeclinedQuestion, ...]
    unhelpful: tuple[UnhelpfulSection, ...]

    @property
    def question_log(self) -> str:
        """on or off (PRIVACY_QA_QUESTION_LOG_DAYS)."""
        return "on" if self.question_log_days > 0 else "off"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "period": {"from": self.period_from.isoformat(), "to": self.period_to.isoformat()},
            "question_log": self.question_log,
            "question_log_days": self.question_log_days,
            "declined": [d.to_dict() for d in self.declined],
            "unhelpful": [u.to_dict() for u in self.unhelpful],
        }


def declined_questions(
    store: Store, since: date, until: date, limit: int = DEFAULT_LIMIT
) -> list[DeclinedQuestion]:
    """Declined questions logged between the two days, grouped by their normalised text."""
    c = question_log.c
    n = func.count().label("n")
    last = func.max(c.day).label("last")
    # Grouped by exact text in the database (fewer rows to read), then by normalised text here:
    # normalising Unicode punctuation is beyond portable SQL.
    query = (
        select(c.question, c.kind, n, last)
        .where(c.answered.is_(False), c.day >= since, c.day <= until)
        .where(c.kind.is_(None) | c.kind.not_in(NOT_GAPS))
        .group_by(c.question, c.kind)
    )
    groups: dict[str, dict[str, Any]] = {}
    with store.read() as conn:
        for row in conn.execute(query):
            group = groups.setdefault(
                normalise_question(row.question),
                {"count": 0, "last": row.last, "texts": Counter(), "kinds": Counter()},
            )
            group["count"] += row.n
            group["last"] = max(group["last"], row.last)
            group["texts"][row.question] += row.n
            if row.kind:
                group["kinds"][row.kind] += row.n
    found = [
        DeclinedQuestion(
            # The way it was most often typed (ties: the first in alphabetical order).
            min(g["texts"].items(), key=lambda item: (-item[1], item[0]))[0],
            g["count"],
            g["last"],
            dict(g["kinds"].most_common()),
        )
        for g in groups.values()
    ]
    found.sort(key=lambda d: (-d.count, -d.last_seen.toordinal(), d.question))
    return found[:limit]


def gap_report(
    store: Store,
    library: Library,
    question_log_days: int,
    days: int = DEFAULT_DAYS,
    *,
    today: date | None = None,
    limit: int = DEFAULT_LIMIT,
) -> GapReport:
    """The report over the last `days` days up to today (UTC), both ends included."""
    until = today or utcnow().date()
    since = until - timedelta(days=days - 1)
    declined = declined_questions(store, since, until, limit) if question_log_days > 0 else []
    unhelpful = []
    for s in FeedbackCounts(store).unhelpful(since, until, limit):
        policy = library.get(s.document)
        section = policy.section(s.section_id) if policy is not None else None
        heading = section.heading if section is not None else None
        unhelpful.append(
            UnhelpfulSection(s.document, s.section_id, heading, s.helpful, s.not_helpful)
        )
    return GapReport(since, until, question_log_days, tuple(declined), tuple(unhelpful))
