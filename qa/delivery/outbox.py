"""The transactional mail outbox: mail is stored with the request it belongs to, then delivered.

A mail row is written in the same transaction as its request, so a request is never kept
without its mail nor a mail sent for a request that was rolled back. A sender claims due rows
with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers anyway), sends
them, and marks each one sent; a failed mail is tried again after a back-off that doubles up to
an hour. Each mail has one Message-ID for life, so in the one case a mail can go twice (the
sender dies between the SMTP server's acceptance and the mark), the receiver sees a duplicate
of the same message, not a second message.

Webhook deliveries (qa/delivery/webhooks.py) are rows of the same table on another `channel`: the
same
claim, lease, back-off and marks, through another transport, by a sender of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, func, or_, select, update

from qa.settings import Settings
from qa.storage.store import Cipher, Store, data_folder, outbox, utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=2)
BATCH = 50
IDLE_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class OutgoingMail:
    """A mail claimed for sending."""

    id: int
    message_id: str
    recipient: str
    raw: bytes
    lease_owner: str


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


@dataclass(frozen=True)
class Delivery:
    """What one round of sending did."""

    sent: int
    failed: int


class Transport(Protocol):
    """Hands messages to the outside world; raises on failure."""

    def send(self, sender: str, mails: Sequence[OutgoingMail]) -> dict[int, str | None]:
        """Send each mail; map its id to None when sent, or to a short error (no addresses).
        A mail left out was not tried (the round ran out of time): it is released as it was."""
        ...

    def discard(self, message_ids: Sequence[str]) -> int:
        """Delete any copy this transport keeps of these mails (for an erasure); how many."""
        ...


class SmtpTransport:
    """Delivery through an SMTP server (smtplib, in the sender's worker thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, sender: str, mails: Sequence[OutgoingMail]) -> dict[int, str | None]:
        """One connection for the batch; a mail refused by the server fails alone."""
        results: dict[int, str | None] = {}
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                for mail in mails:
                    try:
                        smtp.sendmail(sender, [mail.recipient], mail.raw)
                        results[mail.id] = None
                    except smtplib.SMTPResponseException as exc:
                        results[mail.id] = f"SMTP {exc.smtp_code}"
                    except smtplib.SMTPRecipientsRefused:
                        results[mail.id] = "SMTP recipient refused"
        except (OSError, smtplib.SMTPException) as exc:
            # Server unreachable or the session broke: every mail not yet accepted is retried.
            error = _describe(exc)
            for mail in mails:
                results.setdefault(mail.id, error)
        return results

    def discard(self, message_ids: Sequence[str]) -> int:
        """Nothing to delete: what the SMTP server accepted is the receiver's."""
        return 0


def mail_file_names(message_id: str) -> tuple[str, str]:
    """The file a mail is written to, in clear and encrypted: named by its Message-ID, so the
    outbox row (reference → message_id) is the index that finds a request's files."""
    stem = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    return f"{stem}.eml", f"{stem}.eml.fernet"


class FileTransport:
    """The embedded default: each mail is written as an .eml file (named by its Message-ID);
    with a cipher that encrypts, as an .eml.fernet file that `privacy-qa outbox --read` opens."""

    def __init__(self, folder: Path, cipher: Cipher | None = None) -> None:
        self.folder = folder
        self.cipher = cipher or Cipher()

    def send(self, sender: str, mails: Sequence[OutgoingMail]) -> dict[int, str | None]:
        """Write each mail atomically; a mail written twice lands on the same file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        results: dict[int, str | None] = {}
        for mail in mails:
            plain_name, sealed_name = mail_file_names(mail.message_id)
            name = sealed_name if self.cipher.enabled else plain_name
            # The mail holds names, details and links: at rest it is as encrypted as the store.
            content = (
                (self.cipher.seal(mail.raw.decode("utf-8")) or "").encode()
                if self.cipher.enabled
                else mail.raw
            )
            temporary = self.folder / f".{name}.tmp"
            try:
                with open(temporary, "wb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.folder / name)
                results[mail.id] = None
            except OSError as exc:
                results[mail.id] = _describe(exc)
        return results

    def discard(self, message_ids: Sequence[str]) -> int:
        """Delete these mails' files, found by name (nothing is read)."""
        deleted = 0
        for message_id in message_ids:
            for name in mail_file_names(message_id):
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / name).unlink()
                    deleted += 1
        return deleted

    def read(self, path: Path) -> bytes:
        """A mail file's message, decrypted if it was written encrypted."""
        content = path.read_bytes()
        if path.name.endswith(".fernet"):
            return (self.cipher.open(content.decode()) or "").encode("utf-8")
        return content


def _describe(exc: BaseException) -> str:
    # Class names and SMTP code only: server messages may quote addresses, which must not be
    # stored. smtplib reports a timeout and a reset alike as SMTPServerDisconnected; the
    # socket error under it tells a hanging server from a broken connection.
    text = type(exc).__name__
    under = exc.__cause__ or exc.__context__
    if isinstance(exc, smtplib.SMTPException) and isinstance(under, OSError):
        text += f" ({type(under).__name__})"
    code = getattr(exc, "smtp_code", None)
    return text + (f" (SMTP {code})" if code else "")


def transport_for(settings: Settings) -> Transport:
    """SMTP when PRIVACY_QA_SMTP_HOST is set, otherwise .eml files under the data folder."""
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    return FileTransport(data_folder(settings) / "mail", Cipher(settings.encryption_key))


class Outbox:
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
        sent = failed = 0
        while True:
            mails = self.claim(now)
            if not mails:
                return Delivery(sent, failed)
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
                    conn.execute(
                        update(outbox)
                        .where(mine)
                        .values(
                            attempts=attempts,
                            next_attempt_at=done + self.backoff(attempts),
                            last_error=error[:200],
                            lease_owner=None,
                            lease_until=None,
                        )
                    )
                    failed += 1
            if erased_meanwhile:
                self.transport.discard(erased_meanwhile)
            if failed:
                log.warning("outbox: %d %s(s) not delivered; will retry", failed, self.channel)
                # One failing round is enough: the rest waits for its back-off.
                return Delivery(sent, failed)

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


class Sender:
    """The background sender of a server process: one loop per outbox (mail, webhooks), each
    in its own thread so that a slow receiver on one never holds up the other; each delivers
    when woken, and every few seconds."""

    def __init__(self, *outboxes: Outbox, idle_seconds: float = IDLE_POLL_SECONDS) -> None:
        self.outboxes = outboxes
        self.idle_seconds = idle_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakes: list[asyncio.Event] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def outbox(self) -> Outbox:
        """The first outbox (the mail's)."""
        return self.outboxes[0]

    def start(self) -> None:
        """Start the sending loops on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._wakes = [asyncio.Event() for _ in self.outboxes]
        self._tasks = [
            self._loop.create_task(self._run(box, wake))
            for box, wake in zip(self.outboxes, self._wakes, strict=True)
        ]

    def wake(self) -> None:
        """Ask for a round of sending now (callable from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            for wake in self._wakes:
                self._loop.call_soon_threadsafe(wake.set)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current rounds; what is left pending is sent by the next sender."""
        if not self._tasks:
            return
        # A round runs in a thread that cannot be cancelled; it is let finish so that it
        # does not touch the store after the store is closed.
        self._stopping = True
        for wake in self._wakes:
            wake.set()
        try:
            await asyncio.wait_for(asyncio.gather(*self._tasks), timeout)
        except TimeoutError:
            log.warning("outbox: sender did not stop within %s s", timeout)
        self._tasks = []

    async def _run(self, box: Outbox, wake: asyncio.Event) -> None:
        while not self._stopping:
            wake.clear()
            wait = await asyncio.to_thread(self._round, box)
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=wait)

    def _round(self, box: Outbox) -> float:
        """Deliver what is due; the seconds until the soonest retry (at most the idle poll)."""
        try:
            box.deliver_due()
            soonest = box.soonest()
        except Exception as exc:  # a database hiccup must not end the sender
            log.warning("outbox: sending round failed (%s); will retry", type(exc).__name__)
            return self.idle_seconds
        if soonest is None:
            return self.idle_seconds
        # Sleep until the soonest retry is due, so back-off is honoured without a busy loop.
        wait = (soonest - utcnow()).total_seconds()
        return min(max(wait, 0.05), self.idle_seconds)
