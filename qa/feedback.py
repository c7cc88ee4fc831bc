"""'Was this helpful?' answers, kept only as counts per section and day: nothing personal."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime


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


class FeedbackCounts:
    """Counts in memory (per process, lost at restart): no question, address or time of day."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[date, str, str, bool]] = Counter()
        self._lock = threading.Lock()

    def record(
        self, document: str, section_id: str, helpful: bool, day: date | None = None
    ) -> None:
        """Count one yes or no for a section on `day` (default: today, UTC)."""
        key = (day or datetime.now(UTC).date(), document, section_id, helpful)
        with self._lock:
            self._counts[key] += 1

    def counts(self) -> list[FeedbackCount]:
        """Every (day, section) with its yes and no counts, oldest day first."""
        with self._lock:
            snapshot = dict(self._counts)
        keys = sorted({(day, doc, sid) for day, doc, sid, _ in snapshot})
        return [
            FeedbackCount(
                day,
                doc,
                sid,
                snapshot.get((day, doc, sid, True), 0),
                snapshot.get((day, doc, sid, False), 0),
            )
            for day, doc, sid in keys
        ]
