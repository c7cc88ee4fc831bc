"""Escalations: a question the policy does not answer, handed to a person on the privacy team."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any, Final, Protocol

import orjson
from sqlalchemy import Connection, Row, func, select, update

from qa.answering.answers import MAX_QUESTION, Answer
from qa.casework.changes import MAX_REPLY
from qa.casework.escalation import Escalation as Escalation
from qa.casework.escalation import EscalationCreated as EscalationCreated
from qa.casework.escalation import Reply as Reply
from qa.casework.escalation import Turn as Turn
from qa.casework.escalation import escalation_from_row
from qa.casework.escalation_letters import question_letter, reply_letter
from qa.casework.history import (
    REQUESTER,
    SYSTEM,
    Change,
    Details,
    check_assignee,
    history_of,
    record_change,
)
from qa.casework.letters import send
from qa.casework.request import token_matches
from qa.casework.shown import shown_by_answer
from qa.casework.transitions import append_note
from qa.delivery.outbox import Outbox
from qa.delivery.webhooks import Webhooks
from qa.errors import Conflict, NoPrivacyMailbox, NotFound, QAError
from qa.storage.cipher import email_hash, token_hash
from qa.storage.idempotency import run_idempotent
from qa.storage.schema import escalations, utcnow
from qa.storage.store import Store
from qa.vocabulary import ESCALATION_STATUSES as STATUSES

log = logging.getLogger(__name__)

SCOPE: Final = "escalation"
MAX_REPLIES = 50


class Answerer(Protocol):
    """What an escalation needs of the assistant: the sections it found for the question."""

    def answer(self, question: str, top_k: int = 3, document: str | None = None) -> Answer: ...


class Escalations:
    """Takes questions for a person and mails them to privacy@ with what the policy says."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        assistant: Answerer,
        *,
        public_url: str,
        privacy_email: str | None,
        webhooks: Webhooks | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.webhooks = webhooks
        self.assistant = assistant
        self.public_url = public_url.rstrip("/")
        self.privacy_email = privacy_email

    def submit(
        self,
        question: str,
        transcript: tuple[Turn, ...] = (),
        email: str | None = None,
        consent: bool = False,
        idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> EscalationCreated:
        """Store the escalation and its mail to privacy@ in one transaction; its reference and
        status token (a retry with the same Idempotency-Key and body gets the first answer)."""
        privacy_email = self.privacy_email
        if privacy_email is None:
            raise NoPrivacyMailbox()
        if email is not None and not consent:
            raise QAError(
                "consent: must be true to give an e-mail address; we use it only to reply",
                "consent",
            )
        when = now or utcnow()
        # Ranked before the transaction: the answer needs no database and takes a moment.
        answer = self.assistant.answer(question[:MAX_QUESTION])
        shown = shown_by_answer(answer)
        body = {
            "question": question,
            "transcript": [[t.question, t.answer] for t in transcript],
            "email": email,
            "consent": consent,
        }

        def create(conn: Connection) -> dict[str, Any]:
            seal = self.store.cipher.seal
            reference = self.store.next_reference(conn, "ESC", when)
            status_token = secrets.token_urlsafe(32)
            conn.execute(
                escalations.insert().values(
                    reference=reference,
                    question=seal(question),
                    transcript=seal(orjson.dumps(body["transcript"]).decode()),
                    email=seal(email),
                    email_hash=email_hash(email) if email else None,
                    consent=consent,
                    created_at=when,
                    status="open",
                    status_token_hash=token_hash(status_token),
                    updated_at=when,
                    **shown.columns(),
                )
            )
            record_change(
                conn, SCOPE, reference, REQUESTER, "created", when, Details(new_status="open")
            )
            text = question_letter(
                reference, when, question, answer, transcript, email, self.public_url
            )
            send(
                self.outbox,
                conn,
                "escalation",
                reference,
                privacy_email,
                f"Question for the privacy team {reference}",
                text,
                reply_to=email,
                date=when,
            )
            if self.webhooks is not None:
                self.webhooks.emit(conn, "escalation.created", {"reference": reference}, when)
            log.info("escalation %s received", reference)
            return EscalationCreated(reference, when.isoformat(), status_token).record()

        record = run_idempotent(self.store, SCOPE, idempotency_key, body, create)
        return EscalationCreated.from_record(record)

    def list(
        self, limit: int = 100, offset: int = 0, *, status: str | None = None
    ) -> list[Escalation]:
        """Escalations, newest first; only those of one status if given."""
        query = select(escalations)
        if status is not None:
            query = query.where(escalations.c.status == status)
        with self.store.read() as conn:
            rows = conn.execute(
                query.order_by(escalations.c.created_at.desc(), escalations.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return [self._from_row(r) for r in rows]

    def count(self) -> int:
        """How many escalations `list` would give with no limit."""
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(escalations)).scalar_one())

    def get(self, reference: str) -> Escalation:
        """One escalation by reference."""
        with self.store.read() as conn:
            return self._load(conn, reference)

    def history(self, reference: str) -> tuple[Change, ...]:
        """Who changed the escalation, what and when, oldest first."""
        with self.store.read() as conn:
            self._load(conn, reference)
            return tuple(history_of(conn, SCOPE, reference))

    def status(self, reference: str, token: str) -> Escalation:
        """The escalation if `token` is its status token; the same NotFound for either mistake."""
        with self.store.read() as conn:
            row = conn.execute(
                select(escalations).where(escalations.c.reference == reference)
            ).first()
        if not token_matches(row, token) or row is None or row.erased_at:
            raise NotFound(
                "no question with this reference and token; use the link shown when you sent it",
                "token",
            )
        return self._from_row(row)

    def update(
        self,
        reference: str,
        *,
        status: str | None = None,
        assignee: str | None = None,
        note: str | None = None,
        actor: str = SYSTEM,
        now: datetime | None = None,
    ) -> Escalation:
        """The team's change to a case: its status, its assignee ("" for none), a note; one
        history row, naming `actor`, in the same transaction."""
        if status is not None and status not in STATUSES:
            raise QAError(f"status: use one of {', '.join(STATUSES)}", "status")
        if assignee:
            check_assignee(assignee)
        now = now or utcnow()
        with self.store.transaction() as conn:
            case = self._load(conn, reference, lock=True)
            values: dict[str, Any] = {}
            if status is not None and status != case.status:
                values["status"] = status
            if assignee is not None and (assignee or None) != case.assignee:
                values["assignee"] = assignee or None
            if note:
                values["notes"] = self.store.cipher.seal(append_note(case.notes, note, now))
            if not values:  # what it has already: nothing to change or record
                return case
            conn.execute(
                update(escalations)
                .where(escalations.c.reference == reference)
                .values(**values, updated_at=now)
            )
            action = (
                "status_changed"
                if "status" in values
                else "assigned"
                if "assignee" in values
                else "note_added"
            )
            details = Details(
                old_status=case.status if "status" in values else None,
                new_status=values.get("status"),
                assignee=(values["assignee"] or "") if "assignee" in values else None,
                note_added=bool(note),
            )
            record_change(conn, SCOPE, reference, actor, action, now, details)
            updated = self._load(conn, reference)
        log.info("escalation %s updated to %s", reference, updated.status)
        return updated

    def reply(
        self, reference: str, text: str, *, actor: str = SYSTEM, now: datetime | None = None
    ) -> tuple[Escalation, bool]:
        """Answer the visitor: the reply is kept for their status page, mailed to them through
        the outbox when they left an address (in the same transaction), and the case becomes
        answered; the escalation and whether a mail was queued."""
        text = text.strip()
        if not text or len(text) > MAX_REPLY:
            raise QAError(f"text: write a reply of 1 to {MAX_REPLY} characters", "text")
        now = now or utcnow()
        with self.store.transaction() as conn:
            case = self._load(conn, reference, lock=True)
            if case.erased_at is not None:
                raise Conflict(
                    f"reference: the personal data of {reference} was erased; there is no one "
                    "to reply to",
                    "reference",
                )
            if len(case.replies) >= MAX_REPLIES:
                raise Conflict(f"text: {reference} has {MAX_REPLIES} replies already", "text")
            replies = [r.to_dict() for r in (*case.replies, Reply(now, text))]
            conn.execute(
                update(escalations)
                .where(escalations.c.reference == reference)
                .values(
                    replies=self.store.cipher.seal(orjson.dumps(replies).decode()),
                    status="answered",
                    updated_at=now,
                )
            )
            mailed = case.may_mail
            if mailed:
                self._mail_reply(conn, case, text, now)
            details = Details(
                old_status=case.status, new_status="answered", reply_sent=True, mailed=mailed
            )
            record_change(conn, SCOPE, reference, actor, "replied", now, details)
            if self.webhooks is not None:
                data = {"reference": reference, "status": "answered", "mailed": mailed}
                self.webhooks.emit(conn, "escalation.replied", data, now)
            updated = self._load(conn, reference)
        log.info("escalation %s answered", reference)
        return updated, mailed

    def _mail_reply(self, conn: Connection, case: Escalation, text: str, now: datetime) -> None:
        send(
            self.outbox,
            conn,
            "escalation_reply",
            case.reference,
            case.email or "",
            f"Answer to your question {case.reference}",
            reply_letter(case, text),
            reply_to=self.privacy_email,
            date=now,
        )

    def _load(self, conn: Connection, reference: str, *, lock: bool = False) -> Escalation:
        query = select(escalations).where(escalations.c.reference == reference)
        # A change reads, then writes (the replies, the notes, the old status for the history):
        # on PostgreSQL the row is locked so that two at once queue instead of losing one.
        # SQLite's writers are serialised already (BEGIN IMMEDIATE).
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFound(
                f"reference: no escalation {reference!r}; check the reference (the list of "
                "escalations gives each one)",
                "reference",
            )
        return self._from_row(row)

    def _from_row(self, row: Row[Any]) -> Escalation:
        return escalation_from_row(row, self.store.cipher)
