"""What an outbox holds and has not delivered: listed by `privacy-qa outbox`, counted for
/metrics, and the soonest due time, which the sender sleeps until."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from qa.storage.schema import outbox
from qa.storage.store import Store


@dataclass(frozen=True)
class PendingMail:
    """A mail (or webhook delivery) not yet delivered, as `privacy-qa outbox` lists it (no
    addresses)."""

    message_id: str
    kind: str
    reference: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    channel: str = "mail"


class Backlog:
    """The reads of one outbox's channel (Outbox sets `store` and `_mine`)."""

    store: Store
    _mine: ColumnElement[bool]  # this outbox's channel: outbox.c.channel == channel

    def pending(self) -> list[PendingMail]:
        """Mail not yet delivered, oldest first."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(outbox)
                .where(self._mine, outbox.c.status == "pending")
                .order_by(outbox.c.next_attempt_at, outbox.c.id)
            ).all()
        return [
            PendingMail(
                r.message_id,
                r.kind,
                r.reference,
                r.attempts,
                r.next_attempt_at,
                r.last_error,
                r.channel,
            )
            for r in rows
        ]

    def count(self, status: str) -> int:
        """How many mails have `status` (pending or sent)."""
        with self.store.read() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(outbox)
                    .where(self._mine, outbox.c.status == status)
                ).scalar_one()
            )

    def soonest(self) -> datetime | None:
        """When the next pending mail is due, or None when nothing is pending."""
        with self.store.read() as conn:
            value: datetime | None = conn.execute(
                select(func.min(outbox.c.next_attempt_at)).where(
                    self._mine, outbox.c.status == "pending"
                )
            ).scalar_one_or_none()
        return value

    def backlog(self) -> tuple[int, datetime | None]:
        """How many mails are pending, and when the oldest of them was queued (for /metrics)."""
        with self.store.read() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(
                    self._mine, outbox.c.status == "pending"
                )
            ).one()
        return int(count), oldest
