"""Keeping personal data only as long as needed: erase one requester, purge what is past retention.

Erasing keeps each record's skeleton (reference, right, dates, status) because the privacy team
must be able to show it answered on time; the name, address, details, notes, question, reasons,
transcript, the mail bodies and their files, the stored idempotent answer and the links (status
and verification tokens) go. On SQLite the erasure overwrites what it removes (secure_delete)
and leaves no copy in the rollback journal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, select, text, update

from qa.answering.questions import purge_questions
from qa.casework.history import SYSTEM, Details, record_change
from qa.delivery.transports import Transport
from qa.periodic import Periodic
from qa.storage.cipher import email_hash
from qa.storage.schema import escalations, idempotency_keys, outbox, rights_requests, utcnow
from qa.storage.store import Store

log = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)
_PURGE_LOCK = 0x70715150  # any constant: one purge at a time across processes (PostgreSQL)
RETRY_AFTER_FAILURE = timedelta(minutes=5)


@dataclass(frozen=True)
class Erased:
    """How many records had their personal data removed, and how many mail files went."""

    rights_requests: int
    escalations: int
    mails: int  # the mail records emptied or deleted (sent or not)
    questions: int = 0  # rows of the question log deleted (not part of an erasure)
    mail_files: int = 0  # .eml / .eml.fernet files deleted from the mail folder

    def to_dict(self) -> dict[str, int]:
        """JSON-ready counts."""
        return {
            "rights_requests": self.rights_requests,
            "escalations": self.escalations,
            "mails": self.mails,
            "mail_files": self.mail_files,
        }


# A status token's hash is 64 hex digits; this is none, so no token opens an erased request.
DEAD_TOKEN = "erased"
_REQUEST_PERSONAL = {
    "name": None,
    "email": None,
    "details": None,
    "question": None,
    "notes": None,
    "reason": None,
    "extension_reason": None,
    "reply": None,
    "email_hash": None,
    "status_token_hash": DEAD_TOKEN,
    "mailed_token_hash": None,
    "verify_token_hash": None,
    "verify_expires_at": None,
}


def _erase_mail(conn: Connection, references: list[str]) -> list[str]:
    """Empty the mail of these records; the Message-ID of each (which names its files)."""
    if not references:
        return []
    # Webhook deliveries (channel webhook) hold the reference and no personal data: they
    # still go, so the support tool learns of the change.
    theirs = outbox.c.reference.in_(references) & (outbox.c.channel == "mail")
    message_ids = list(conn.execute(select(outbox.c.message_id).where(theirs)).scalars())
    # A pending mail without its body cannot be sent; it is closed as erased.
    conn.execute(
        update(outbox)
        .where(theirs, outbox.c.raw.is_not(None))
        .values(
            recipient=None,
            raw=None,
            status=case((outbox.c.status == "pending", "erased"), else_=outbox.c.status),
        )
    )
    conn.execute(update(outbox).where(outbox.c.reference.in_(references)).values(mailbox_hash=None))
    return message_ids


def _erase(
    conn: Connection,
    request_refs: list[str],
    escalation_refs: list[str],
    now: datetime,
    actor: str = SYSTEM,
) -> tuple[Erased, list[str]]:
    if request_refs:
        conn.execute(
            update(rights_requests)
            .where(rights_requests.c.reference.in_(request_refs))
            .values(**_REQUEST_PERSONAL, erased_at=now, updated_at=now)
        )
    if escalation_refs:
        conn.execute(
            update(escalations)
            .where(escalations.c.reference.in_(escalation_refs))
            .values(
                question=None,
                transcript=None,
                email=None,
                email_hash=None,
                notes=None,
                replies=None,
                status_token_hash=None,
                erased_at=now,
            )
        )
    # The history stays (it holds nothing of the person) and says when the data went, and who.
    for reference in request_refs:
        record_change(conn, "rights_request", reference, actor, "erased", now, Details())
    for reference in escalation_refs:
        record_change(conn, "escalation", reference, actor, "erased", now, Details())
    references = request_refs + escalation_refs
    if references:
        # The first answer, kept for retries, holds the status link: it goes with the request.
        conn.execute(delete(idempotency_keys).where(idempotency_keys.c.reference.in_(references)))
    message_ids = _erase_mail(conn, references)
    return Erased(len(request_refs), len(escalation_refs), len(message_ids)), message_ids


def _discard_files(mail: Transport | None, message_ids: list[str]) -> int:
    """Delete the mails' files (the transport finds them by Message-ID); how many went.
    After the commit, so that a failure here cannot undo the erasure of the records; a file
    that cannot be deleted is reported for the operator (by count: its name says nothing)."""
    if mail is None or not message_ids:
        return 0
    try:
        return mail.discard(message_ids)
    except OSError as exc:
        log.warning(
            "erasure: could not delete the files of %d mail(s) (%s); delete them by hand",
            len(message_ids),
            type(exc).__name__,
        )
        return 0


def erase_requester(
    store: Store,
    email: str,
    now: datetime | None = None,
    mail: Transport | None = None,
    actor: str = SYSTEM,
) -> Erased:
    """Remove one person's data from every request, escalation and mail (an erasure request);
    `mail` is the transport whose copies (the .eml files) go too; `actor` is who asked, for
    the history."""
    now = now or utcnow()
    digest = email_hash(email)
    with store.transaction(scrub=True) as conn:
        request_refs = list(
            conn.execute(
                select(rights_requests.c.reference).where(rights_requests.c.email_hash == digest)
            ).scalars()
        )
        escalation_refs = list(
            conn.execute(
                select(escalations.c.reference).where(escalations.c.email_hash == digest)
            ).scalars()
        )
        erased, message_ids = _erase(conn, request_refs, escalation_refs, now, actor)
    erased = replace(erased, mail_files=_discard_files(mail, message_ids))
    log.info(
        "erased one requester: %d request(s), %d escalation(s), %d mail file(s)",
        erased.rights_requests,
        erased.escalations,
        erased.mail_files,
    )
    return erased


def purge(
    store: Store,
    retention_days: int,
    now: datetime | None = None,
    question_days: int = 0,
    mail: Transport | None = None,
) -> Erased:
    """Erase personal data of requests closed, and escalations made, over `retention_days` ago;
    delete logged questions older than `question_days` (all of them when the log is off)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    with store.transaction(scrub=True) as conn:
        if store.dialect == "postgresql":
            # Every server process purges on its own schedule. Purges queue here, and each
            # one selects only what is not erased yet, so a second purge finds nothing to do.
            # (SQLite's writers are serialised by BEGIN IMMEDIATE to the same effect.)
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PURGE_LOCK})
        request_refs = list(
            conn.execute(
                select(rights_requests.c.reference).where(
                    rights_requests.c.closed_at < cutoff, rights_requests.c.erased_at.is_(None)
                )
            ).scalars()
        )
        escalation_refs = list(
            conn.execute(
                select(escalations.c.reference).where(
                    escalations.c.created_at < cutoff, escalations.c.erased_at.is_(None)
                )
            ).scalars()
        )
        erased, message_ids = _erase(conn, request_refs, escalation_refs, now)
        # Sent mail is only a copy of what the records hold; it goes after the same time.
        old_mail = (outbox.c.status != "pending") & (outbox.c.created_at < cutoff)
        message_ids += conn.execute(select(outbox.c.message_id).where(old_mail)).scalars()
        conn.execute(delete(outbox).where(old_mail))
        conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < now - IDEMPOTENCY_WINDOW)
        )
        questions = purge_questions(conn, question_days, now)
    # A mail can be both an erased record's and past retention: counted once.
    unique = list(dict.fromkeys(message_ids))
    return Erased(
        erased.rights_requests,
        erased.escalations,
        len(unique),
        questions,
        _discard_files(mail, unique),
    )


class PurgeSchedule:
    """The retention purge run by a server process: at start-up, then every `interval`."""

    def __init__(
        self,
        store: Store,
        retention_days: int,
        interval: timedelta,
        clock: Callable[[], datetime] = utcnow,
        question_days: int = 0,
        mail: Transport | None = None,
    ) -> None:
        self.store = store
        self.mail = mail
        self.retention_days = retention_days
        self.question_days = question_days
        self.interval = interval
        self.clock = clock
        self.next_at: datetime | None = None  # None: due now
        self.periodic = Periodic("retention purge", self.step)

    def tick(self) -> Erased | None:
        """Purge if due and schedule the next one; None when not due (or when it failed)."""
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            return None
        try:
            erased = purge(self.store, self.retention_days, now, self.question_days, self.mail)
        except Exception as exc:  # the database may be down for a while; try again sooner
            self.next_at = now + min(self.interval, RETRY_AFTER_FAILURE)
            log.warning("retention purge failed (%s); will retry", type(exc).__name__)
            return None
        self.next_at = now + self.interval
        log.info(
            "retention purge: %d request(s), %d escalation(s), %d mail(s), %d question(s)",
            erased.rights_requests,
            erased.escalations,
            erased.mails,
            erased.questions,
        )
        return erased

    def seconds_to_next(self) -> float:
        """How long until the next purge is due (0 when it is due now)."""
        if self.next_at is None:
            return 0.0
        return max((self.next_at - self.clock()).total_seconds(), 0.0)

    def step(self) -> float:
        """Purge if due; the seconds until the next purge."""
        self.tick()
        return self.seconds_to_next()

    def start(self) -> None:
        """Run the schedule on the running event loop."""
        self.periodic.start()

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop; a purge under way (in its thread, which cannot be cancelled) is let finish."""
        await self.periodic.stop(timeout)
