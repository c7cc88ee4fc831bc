"""'Was this helpful?' answers, kept only as counts per section and day: nothing personal.

The counts live in the database (table feedback_counts), so every worker adds to the same
ones and a restart loses none. Each answer is one atomic upsert (`helpful = helpful + 1`),
so two workers counting the same section at once both count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qa.storage.schema import feedback_counts, utcnow
from qa.storage.store import Store


@dataclass(frozen=True, slots=True, order=True)
class FeedbackCount:
    """How often a section was found helpful or not on one day (UTC)."""

    day: date
    document: str
    section_id: str
    helpful: int
    not_helpful: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data."""
        return {
            "day": self.day.isoformat(),
            "document": self.document,
            "section_id": self.section_id,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
        }


@dataclass(frozen=True, slots=True)
class SectionFeedback:
    """A section's yes and no answers summed over some days."""

    document: str
    section_id: str
    helpful: int
    not_helpful: int


class FeedbackCounts:
    """Counts in the database: no question, address or time of day."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self, document: str, section_id: str, helpful: bool, day: date | None = None
    ) -> None:
        """Count one yes or no for a section on `day` (default: today, UTC)."""
        insert = pg_insert if self.store.dialect == "postgresql" else sqlite_insert
        yes, no = (1, 0) if helpful else (0, 1)
        statement = insert(feedback_counts).values(
            document=document,
            section_id=section_id,
            day=day or utcnow().date(),
            helpful=yes,
            not_helpful=no,
        )
        column = feedback_counts.c.helpful if helpful else feedback_counts.c.not_helpful
        statement = statement.on_conflict_do_update(
            index_elements=["document", "section_id", "day"], set_={column.name: column + 1}
        )
        with self.store.transaction() as conn:
            conn.execute(statement)

    def counts(self, since: date | None = None, until: date | None = None) -> list[FeedbackCount]:
        """Every (day, section) with its yes and no counts, oldest day first."""
        c = feedback_counts.c
        query = select(feedback_counts).order_by(c.day, c.document, c.section_id)
        if since is not None:
            query = query.where(c.day >= since)
        if until is not None:
            query = query.where(c.day <= until)
        with self.store.read() as conn:
            return [FeedbackCount(**row._mapping) for row in conn.execute(query)]

    def unhelpful(self, since: date, until: date, limit: int = 100) -> list[SectionFeedback]:
        """Sections with a "no" between the two days, most noes first, with their yeses."""
        c = feedback_counts.c
        helpful = func.sum(c.helpful).label("helpful")
        not_helpful = func.sum(c.not_helpful).label("not_helpful")
        query = (
            select(c.document, c.section_id, helpful, not_helpful)
            .where(c.day >= since, c.day <= until)
            .group_by(c.document, c.section_id)
            .having(func.sum(c.not_helpful) > 0)
            .order_by(not_helpful.desc(), helpful, c.document, c.section_id)
            .limit(limit)
        )
        with self.store.read() as conn:
            return [
                SectionFeedback(r.document, r.section_id, int(r.helpful), int(r.not_helpful))
                for r in conn.execute(query)
            ]
