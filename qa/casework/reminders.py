"""The daily deadline digest to privacy@: what is overdue or due soon, in one mail a day.

What it lists is qa/casework/digest.py's: references, rights, jurisdictions, statuses and dates
only, no requester's name, address or words, so it can go to a shared mailbox. It is queued
through the outbox in the same transaction as a row of `reminder_digests` keyed by D: the key
lets one digest a day through, whichever worker, restart or cron run comes second (it finds the
row and queues nothing), and the mail goes if and only if the row commits. Nothing is written
on a day with nothing due, so a later check that day can still send one (with a long window a
new request may come due the same day).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qa.casework.desk import Casework
from qa.casework.digest import Digest as Digest
from qa.casework.digest import Reminder as Reminder
from qa.casework.digest import find_due as find_due
from qa.casework.transitions import CLOSED
from qa.delivery.message import build_message
from qa.delivery.outbox import Outbox
from qa.delivery.webhooks import Webhooks
from qa.errors import NoPrivacyMailbox
from qa.periodic import Periodic
from qa.settings import Settings
from qa.storage.schema import reminder_digests, rights_requests, utcnow
from qa.storage.store import Store

log = logging.getLogger(__name__)

KIND = "reminders"
# How often each server process checks whether today's digest is due: a no-op once it went.
CHECK_INTERVAL = timedelta(hours=1)
RETRY_AFTER_FAILURE = timedelta(minutes=5)


@dataclass(frozen=True)
class Sent:
    """A digest queued: its Message-ID and what it listed."""

    message_id: str
    digest: Digest


class Reminders:
    """The digest desk: finds what is due and queues privacy@'s one digest of the day."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        privacy_email: str | None,
        days: int,
        webhooks: Webhooks | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.privacy_email = privacy_email
        self.days = days
        self.webhooks = webhooks  # reminder.due goes with the digest, in its transaction

    def due(self, day: date) -> Digest:
        """What is due on `day`."""
        with self.store.read() as conn:
            return find_due(conn, day, self.days)

    def counts(self, day: date) -> tuple[int, int]:
        """How many open requests are overdue on `day`, and how many due from `day` to `day` +
        the window (with a window of 0: due today)."""
        c = rights_requests.c
        horizon = day + timedelta(days=self.days)
        with self.store.read() as conn:
            overdue, soon = conn.execute(
                select(
                    func.count().filter(c.due_at < day),
                    func.count().filter(c.due_at >= day),
                ).where(c.status.not_in(CLOSED), c.due_at <= horizon)
            ).one()
        return int(overdue), int(soon)

    def send(self, day: date, now: datetime | None = None) -> Sent | None:
        """Queue `day`'s digest; None when nothing is due or the day's digest was queued."""
        if self.privacy_email is None:
            raise NoPrivacyMailbox()
        # A read first: most checks find the day's digest sent, or nothing due, and a read
        # takes no write lock (every worker checks every hour).
        with self.store.read() as conn:
            done = select(reminder_digests.c.day).where(reminder_digests.c.day == day)
            if conn.execute(done).first() is not None or not find_due(conn, day, self.days).items:
                return None
        with self.store.transaction() as conn:
            digest = find_due(conn, day, self.days)
            if not digest.items:
                return None
            message_id = enqueue_digest(conn, self.outbox, self.privacy_email, digest, now)
            if message_id is not None and self.webhooks is not None:
                # References and dates only, as in the digest: nothing about the requesters.
                reference = f"DIGEST-{day.isoformat()}"
                self.webhooks.emit(conn, "reminder.due", digest.to_dict(), now, reference=reference)
        if message_id is None:
            return None
        log.info("reminders: digest for %s queued (%d item(s))", day.isoformat(), digest.items)
        return Sent(message_id, digest)


def reminders_for(casework: Casework, settings: Settings) -> Reminders:
    """The digest desk over a casework desk, with PRIVACY_QA_REMINDER_DAYS."""
    return Reminders(
        casework.store,
        casework.outbox,
        casework.rights.privacy_email,
        settings.reminder_days,
        casework.webhooks,
    )


def enqueue_digest(
    conn: Connection, outbox: Outbox, to: str, digest: Digest, now: datetime | None = None
) -> str | None:
    """Record `digest`'s day and queue its mail, in the caller's transaction; None (and nothing
    queued) if that day's digest was recorded before. The one place a digest is queued: an
    event for the day (a webhook) belongs here, in the same transaction."""
    now = now or utcnow()
    day = digest.day.isoformat()
    # One Message-ID per day as well: even a digest queued twice would reach privacy@ as one.
    domain = outbox.sender.rpartition("@")[2] or "localhost"
    message_id = f"<reminders.{day}@{domain}>"
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    # The key is the guard: a second writer of the same day waits here for the first to commit
    # (PostgreSQL; SQLite runs one write transaction at a time) and then inserts nothing.
    claimed = conn.execute(
        insert(reminder_digests)
        .values(day=digest.day, message_id=message_id, items=digest.items, created_at=now)
        .on_conflict_do_nothing(index_elements=["day"])
        .returning(reminder_digests.c.day)
    ).first()
    if claimed is None:
        return None
    message = build_message(
        sender=outbox.sender,
        to=to,
        subject=digest.subject,
        body=digest.text(),
        message_id=message_id,
        date=now,
    )
    return outbox.enqueue(conn, message, KIND, f"DIGEST-{day}")


class ReminderSchedule:
    """A server process's check for today's digest: at start-up, then every `interval`."""

    def __init__(
        self,
        reminders: Reminders,
        interval: timedelta = CHECK_INTERVAL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.reminders = reminders
        self.interval = interval
        self.clock = clock
        self.periodic = Periodic("reminder digest", self.step)

    def tick(self) -> Sent | None:
        """Queue today's digest if it is due and not yet queued."""
        if self.reminders.privacy_email is None:  # the start-up warning said so already
            return None
        now = self.clock()
        # The outbox wakes its sender when the digest's transaction commits.
        return self.reminders.send(now.date(), now)

    def step(self) -> float:
        """One check; the seconds until the next (sooner after a failure)."""
        try:
            self.tick()
        except Exception as exc:  # the database may be away for a while: try again sooner
            log.warning("reminder digest failed (%s); will retry", type(exc).__name__)
            return min(self.interval, RETRY_AFTER_FAILURE).total_seconds()
        return self.interval.total_seconds()

    def start(self) -> None:
        """Run on the running event loop."""
        self.periodic.start()

    async def stop(self) -> None:
        """Stop, letting a check under way finish."""
        await self.periodic.stop()
