"""The daily deadline digest to privacy@: what is overdue or due soon, in one mail a day.

What it counts, on day D (UTC, the calendar the deadlines are kept in) with a window of N days
(PRIVACY_QA_REMINDER_DAYS), over open requests (not completed, denied or withdrawn; an erased
request still has its dates and counts):

- overdue: due before D (`due_at`, the extended date once extended);
- due soon: due from D to D + N, both included;
- CCPA receipts to confirm: `confirm_by` on or before D + N (past ones too) while the request
  is still `received` or `verified`. The automatic mails only tell the requester that it
  arrived; the confirmation the regulations ask for (§7021(a)) also says how it will be
  handled and when, which is the team's, and the desk records the team taking a request up by
  moving it on (in_progress, extended or closed);
- extension notices due: a request that may still become `extended` (its right's deadline can
  be extended, it was not yet, and its status allows it) whose first deadline, the last day
  to give the requester the extension and its reason, falls from D to D + N. Such a request is
  also due soon: it is listed twice, the second time with the date it could be extended to.

The digest names references, rights, jurisdictions, statuses and dates only: no requester's
name, address or words, so it can go to a shared mailbox. It is queued through the outbox in
the same transaction as a row of `reminder_digests` keyed by D: the key lets one digest a day
through, whichever worker, restart or cron run comes second (it finds the row and queues
nothing), and the mail goes if and only if the row commits. Nothing is written on a day with
nothing due, so a later check that day can still send one (with a long window a new request
may come due the same day).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qa.casework.deadlines import deadlines
from qa.casework.desk import Casework
from qa.casework.rights import CLOSED, allowed_next
from qa.delivery.message import build_message
from qa.delivery.outbox import Outbox
from qa.delivery.webhooks import Webhooks
from qa.errors import NoPrivacyMailbox
from qa.periodic import Periodic
from qa.settings import Settings
from qa.storage.store import Store, reminder_digests, rights_requests, utcnow
from qa.vocabulary import JURISDICTION_LABELS

log = logging.getLogger(__name__)

KIND = "reminders"
# How often each server process checks whether today's digest is due: a no-op once it went.
CHECK_INTERVAL = timedelta(hours=1)
RETRY_AFTER_FAILURE = timedelta(minutes=5)
UNCONFIRMED = frozenset({"received", "verified"})


@dataclass(frozen=True)
class Reminder:
    """One line of the digest: a request and the date it is listed for."""

    reference: str
    right: str
    jurisdiction: str
    status: str
    on: date  # the due date, the confirm-by date, or the first deadline (extensions)
    until: date | None = None  # extensions: the latest date it may be extended to

    def line(self, day: date) -> str:
        """The request as one line of the mail."""
        late = (day - self.on).days
        when = f"{self.on.isoformat()}" + (f" ({late} day(s) ago)" if late > 0 else "")
        extend = f", may extend to {self.until.isoformat()}" if self.until else ""
        return (
            f"  {self.reference:<16} {self.right:<17} "
            f"{JURISDICTION_LABELS[self.jurisdiction]:<19} {self.status:<12} {when}{extend}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "reference": self.reference,
            "right": self.right,
            "jurisdiction": self.jurisdiction,
            "status": self.status,
            "date": self.on.isoformat(),
            "extend_until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class Digest:
    """What is due on `day`, looking `days` ahead."""

    day: date
    days: int
    overdue: list[Reminder] = field(default_factory=list)
    due_soon: list[Reminder] = field(default_factory=list)
    to_confirm: list[Reminder] = field(default_factory=list)
    to_extend: list[Reminder] = field(default_factory=list)

    @property
    def items(self) -> int:
        """Lines in the digest (a request may be on more than one)."""
        return len(self.overdue) + len(self.due_soon) + len(self.to_confirm) + len(self.to_extend)

    @property
    def subject(self) -> str:
        """The mail's subject: the counts that matter most first."""
        return (
            f"Privacy requests due {self.day.isoformat()}: {len(self.overdue)} overdue, "
            f"{len(self.due_soon)} within {self.days} day(s)"
        )

    def sections(self) -> list[tuple[str, list[Reminder]]]:
        """Each heading with its lines."""
        return [
            ("Overdue (due date)", self.overdue),
            (f"Due within {self.days} day(s) (due date)", self.due_soon),
            ("CCPA: confirm receipt by (set in_progress once confirmed)", self.to_confirm),
            (
                "Extension notice due by the first deadline (if more time is needed, set "
                "extended with the reason)",
                self.to_extend,
            ),
        ]

    def text(self) -> str:
        """The digest as plain text: the mail's body, and what `privacy-qa reminders` prints."""
        lines = [f"Rights requests that need the privacy team, as of {self.day.isoformat()} (UTC)."]
        for heading, reminders in self.sections():
            if reminders:
                lines += ["", f"{heading}: {len(reminders)}"]
                lines += [r.line(self.day) for r in reminders]
        if not self.items:
            lines += ["", "Nothing is due."]
        lines += [
            "",
            "See a request with `privacy-qa requests show REFERENCE` or "
            "GET /api/support/rights-requests/REFERENCE.",
        ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "day": self.day.isoformat(),
            "days": self.days,
            "overdue": [r.to_dict() for r in self.overdue],
            "due_soon": [r.to_dict() for r in self.due_soon],
            "to_confirm": [r.to_dict() for r in self.to_confirm],
            "to_extend": [r.to_dict() for r in self.to_extend],
        }


def find_due(conn: Connection, day: date, days: int) -> Digest:
    """What is due on `day` looking `days` ahead (see the module's docstring for what counts)."""
    horizon = day + timedelta(days=days)
    c = rights_requests.c
    rows = conn.execute(
        select(
            c.reference,
            c.right,
            c.jurisdiction,
            c.status,
            c.received_at,
            c.confirm_by,
            c.due_at,
            c.extended_at,
        )
        .where(c.status.not_in(CLOSED), (c.due_at <= horizon) | (c.confirm_by <= horizon))
        .order_by(c.due_at, c.id)
    ).all()
    digest = Digest(day, days)
    for row in rows:
        listed = (row.reference, row.right, row.jurisdiction, row.status)
        if row.due_at < day:
            digest.overdue.append(Reminder(*listed, row.due_at))
        elif row.due_at <= horizon:
            digest.due_soon.append(Reminder(*listed, row.due_at))
            latest = deadlines(row.right, row.jurisdiction, row.received_at.date()).extended_due
            if (
                latest is not None
                and row.extended_at is None
                and "extended" in allowed_next(row.status, row.right)
            ):
                digest.to_extend.append(Reminder(*listed, row.due_at, latest))
        if row.confirm_by is not None and row.confirm_by <= horizon and row.status in UNCONFIRMED:
            digest.to_confirm.append(Reminder(*listed, row.confirm_by))
    digest.to_confirm.sort(key=lambda r: r.on)
    return digest


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
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.reminders = reminders
        self.interval = interval
        self.clock = clock
        self.wake = wake  # the mail sender's wake-up, so a queued digest goes at once
        self.periodic = Periodic("reminder digest", self.step)

    def tick(self) -> Sent | None:
        """Queue today's digest if it is due and not yet queued."""
        if self.reminders.privacy_email is None:  # the start-up warning said so already
            return None
        now = self.clock()
        sent = self.reminders.send(now.date(), now)
        if sent is not None and self.wake is not None:
            self.wake()
        return sent

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
