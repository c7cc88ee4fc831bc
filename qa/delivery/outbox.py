"""The transactional mail outbox: mail is stored with the request it belongs to, then delivered.

A mail row is written in the same transaction as its request, so a request is never kept
without its mail nor a mail sent for a request that was rolled back. A sender claims due rows
with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers anyway), sends
them, and marks each one sent; a failed mail is tried again after a back-off that doubles up to
an hour. Each mail has one Message-ID for life, so in the one case a mail can go twice (the
sender dies between the SMTP server's acceptance and the mark), the receiver sees a duplicate
of the same message, not a second message.

Webhook deliveries (qa/delivery/webhooks.py) are rows of the same table on another `channel`:
the same claim, lease, back-off and marks, through another transport, by a sender of their own.
What is still pending is read through Backlog (qa/delivery/backlog.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Connection, or_, select, update

from qa.delivery.backlog import Backlog
from qa.delivery.transports import Failure, OutgoingMail, Transport
from qa.storage.schema import outbox, utcnow
from qa.storage.store import Store

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
MAX_RETRY_AFTER = timedelta(days=1)  # the longest wait a receiver's Retry-After sets
LEASE = timedelta(minutes=2)
BATCH = 50


@dataclass(frozen=True)
class Delivery:
    """What one round of sending did."""

    sent: int
    failed: int  # to be tried again
    refused: int = 0  # refused by the receiver for good (a webhook endpoint's 410 Gone)


class Outbox(Backlog):
    """Stores mail with its request and delivers it, with retries and exponential back-off.
    `channel` names the rows this outbox writes and delivers (mail, or webhook)."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        sender: str,
        *,
        retry_seconds: float = 5.0,
        channel: str = "mail",
        lease: timedelta = LEASE,
    ) -> None:
        self.store = store
        self.transport = transport
        self.sender = sender
        self.retry = timedelta(seconds=retry_seconds)
        self.channel = channel
        # How long a claim holds its rows: past it, another sender takes them (a crashed
        # sender's rows wait this long). It must outlast one round of sending.
        self.lease = lease
        self._mine = outbox.c.channel == channel
        # Its sender's wake-up (qa/delivery/sender.py sets it): called once a transaction that
        # added to this outbox commits, so the mail goes at once. None: no sender runs here.
        self.wake: Callable[[], None] | None = None

    def enqueue(
        self,
        conn: Connection,
        message: EmailMessage,
        kind: str,
        reference: str,
        mailbox: str | None = None,
    ) -> str:
        """Add a mail in the caller's transaction; it is sent only if that transaction commits.
        `mailbox` (a `mailbox_hash`) counts it against the limit of mail to one mailbox."""
        message_id = str(message["Message-ID"])
        self.add(
            conn,
            message_id,
            kind,
            reference,
            _envelope_recipient(message),
            message.as_bytes().decode("utf-8"),
            mailbox,
        )
        return message_id

    def add(
        self,
        conn: Connection,
        message_id: str,
        kind: str,
        reference: str,
        recipient: str,
        raw: str,
        mailbox: str | None = None,
    ) -> None:
        """Add one delivery of this outbox's channel in the caller's transaction, due now."""
        now = utcnow()
        conn.execute(
            outbox.insert().values(
                message_id=message_id,
                kind=kind,
                reference=reference,
                recipient=self.store.cipher.seal(recipient),
                raw=self.store.cipher.seal(raw),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                mailbox_hash=mailbox,
                channel=self.channel,
            )
        )
        if self.wake is not None:
            self.store.after_commit(conn, self.wake)

    def backoff(self, attempts: int) -> timedelta:
        """The wait before try number `attempts` + 1: doubling from the first delay, at most 1 h."""
        return min(self.retry * (1 << min(max(attempts - 1, 0), 30)), MAX_BACKOFF)

    def claim(self, now: datetime | None = None, limit: int = BATCH) -> list[OutgoingMail]:
        """Lease up to `limit` due mails to this caller (others skip them until the lease ends)."""
        now = now or utcnow()
        owner = uuid.uuid4().hex
        due = (
            self._mine
            & (outbox.c.status == "pending")
            & (outbox.c.next_attempt_at <= now)
            & or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)
        )
        # A read first: most rounds find nothing, and a read takes no write lock.
        with self.store.read() as conn:
            if conn.execute(select(outbox.c.id).where(due).limit(1)).first() is None:
                return []
        with self.store.transaction() as conn:
            ids = (
                conn.execute(
                    select(outbox.c.id)
                    .where(due)
                    .order_by(outbox.c.next_attempt_at, outbox.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if not ids:
                return []
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(lease_owner=owner, lease_until=now + self.lease)
            )
            rows = conn.execute(
                select(outbox.c.id, outbox.c.message_id, outbox.c.recipient, outbox.c.raw)
                .where(outbox.c.id.in_(ids))
                .order_by(outbox.c.id)
            ).all()
        cipher = self.store.cipher
        return [
            OutgoingMail(
                row.id,
                row.message_id,
                cipher.open(row.recipient) or "",
                (cipher.open(row.raw) or "").encode("utf-8"),
                owner,
            )
            for row in rows
        ]

    def deliver_due(self, now: datetime | None = None) -> Delivery:
        """Send every mail that is due, batch by batch; what fails is scheduled again."""
        sent = failed = refused = 0
        while True:
            mails = self.claim(now)
            if not mails:
                return Delivery(sent, failed, refused)
            results = self.transport.send(self.sender, mails)
            done = utcnow()
            erased_meanwhile: list[str] = []
            with self.store.transaction() as conn:
                for mail in mails:
                    mine = (outbox.c.id == mail.id) & (outbox.c.lease_owner == mail.lease_owner)
                    if mail.id not in results:  # not tried: free for the next round at once
                        conn.execute(
                            update(outbox).where(mine).values(lease_owner=None, lease_until=None)
                        )
                        continue
                    error = results[mail.id]
                    if (
                        error is None
                        and conn.execute(
                            select(outbox.c.id).where(mine, outbox.c.raw.is_(None))
                        ).first()
                    ):
                        # Erased while it was being sent: its copy (a file) goes too.
                        erased_meanwhile.append(mail.message_id)
                        continue
                    if error is None:
                        # Once handed over, the body (with its links and tokens) and the
                        # address are of no more use here: only the record that it went stays.
                        conn.execute(
                            update(outbox)
                            .where(mine)
                            .values(
                                status="sent",
                                sent_at=done,
                                lease_owner=None,
                                lease_until=None,
                                raw=None,
                                recipient=None,
                            )
                        )
                        sent += 1
                        continue
                    attempts = (
                        conn.execute(select(outbox.c.attempts).where(mine)).scalar_one_or_none()
                        or 0
                    ) + 1
                    if isinstance(error, Failure) and error.final:
                        # The receiver wants no more (a webhook endpoint's 410 Gone): nothing
                        # is retried, and the body and address are of no more use here.
                        conn.execute(
                            update(outbox)
                            .where(mine)
                            .values(
                                status="refused",
                                attempts=attempts,
                                last_error=error[:200],
                                lease_owner=None,
                                lease_until=None,
                                raw=None,
                                recipient=None,
                            )
                        )
                        refused += 1
                        continue
                    wait = self.backoff(attempts)
                    if isinstance(error, Failure) and error.after is not None:
                        # The receiver's Retry-After, if later than the back-off (at most a day).
                        wait = max(wait, min(error.after, MAX_RETRY_AFTER))
                    conn.execute(
                        update(outbox)
                        .where(mine)
                        .values(
                            attempts=attempts,
                            next_attempt_at=done + wait,
                            last_error=error[:200],
                            lease_owner=None,
                            lease_until=None,
                        )
                    )
                    failed += 1
            if erased_meanwhile:
                self.transport.discard(erased_meanwhile)
            if refused:
                log.warning(
                    "outbox: %d %s(s) refused by the receiver for good; not retried",
                    refused,
                    self.channel,
                )
            if failed:
                log.warning("outbox: %d %s(s) not delivered; will retry", failed, self.channel)
                # One failing round is enough: the rest waits for its back-off.
                return Delivery(sent, failed, refused)

    def retry_now(self) -> Delivery:
        """Make every pending mail due now, then deliver."""
        now = utcnow()
        with self.store.transaction() as conn:
            conn.execute(
                update(outbox)
                .where(self._mine, outbox.c.status == "pending")
                .values(next_attempt_at=now)
            )
        return self.deliver_due()


def _envelope_recipient(message: EmailMessage) -> str:
    to = message["To"]
    address = to.addresses[0].addr_spec if hasattr(to, "addresses") else str(to)
    return str(address)
