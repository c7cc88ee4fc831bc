"""Escalations: a question the policy does not answer, handed to a person on the privacy team."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, Row, func, select, update

from qa.answering.assistant import MAX_QUESTION, Assistant
from qa.casework.history import (
    REQUESTER,
    SYSTEM,
    Change,
    Details,
    check_assignee,
    history_of,
    record_change,
)
from qa.casework.rights import MAX_REPLY, append_note, token_matches
from qa.casework.shown import Shown, shown_by_answer
from qa.delivery.message import build_message, new_message_id, quoted
from qa.delivery.outbox import Outbox
from qa.delivery.webhooks import Webhooks
from qa.errors import Conflict, NoPrivacyMailbox, NotFound, QAError
from qa.storage.store import Store, email_hash, escalations, run_idempotent, token_hash, utcnow

log = logging.getLogger(__name__)

SCOPE: Final = "escalation"
SECTIONS_IN_MAIL = 3
# open: the team has not answered; answered: a reply went to the visitor; closed: done with.
# Any status may follow any other (a case is reopened when the visitor writes again).
STATUSES = ("open", "answered", "closed")
MAX_REPLIES = 50


@dataclass(frozen=True)
class Turn:
    """One turn of the chat before the escalation: the visitor's question and the reply."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Escalation:
    """A stored escalation; personal fields are None once erased."""

    reference: str
    question: str | None
    transcript: tuple[Turn, ...]
    email: str | None
    consent: bool
    created_at: datetime
    erased_at: datetime | None
    status: str = "open"
    assignee: str | None = None
    notes: str | None = None
    replies: tuple[Reply, ...] = ()
    updated_at: datetime | None = None
    shown: Shown = field(default_factory=Shown)

    @property
    def may_mail(self) -> bool:
        """Whether a reply may go to the visitor by mail: they left an address to reply to."""
        return bool(self.email and self.consent and self.erased_at is None)

    def public_dict(self) -> dict[str, Any]:
        """What the visitor sees on the status URL: the status and the team's replies."""
        return {
            "reference": self.reference,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": _iso(self.updated_at),
            "replies": [r.to_dict() for r in self.replies],
        }

    def to_dict(self) -> dict[str, Any]:
        """What the privacy team sees."""
        return {
            **self.public_dict(),
            "question": self.question,
            "transcript": [{"question": t.question, "answer": t.answer} for t in self.transcript],
            "email": self.email,
            "consent": self.consent,
            "erased_at": _iso(self.erased_at),
            "assignee": self.assignee,
            "notes": self.notes,
            **self.shown.to_dict(),
        }


@dataclass(frozen=True)
class Reply:
    """A reply of the privacy team to the visitor."""

    at: datetime
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"at": self.at.isoformat(), "text": self.text}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class Escalations:
    """Takes questions for a person and mails them to privacy@ with what the policy says."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        assistant: Assistant,
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
    ) -> tuple[int, dict[str, Any]]:
        """Store the escalation and its mail to privacy@ in one transaction; 201 and a reference."""
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

        def create(conn: Connection) -> tuple[int, dict[str, Any]]:
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
            sections = [
                f"- {s.heading}\n  {self.public_url}{s.url}\n  {s.snippet}"
                for s in answer.sections[:SECTIONS_IN_MAIL]
            ]
            # The visitor wrote the question and the transcript (its "answers" too: a client
            # can send anything), so each is quoted line by line and cannot pass for our text.
            turns = [
                f"Visitor:\n{quoted(t.question)}\nAssistant (as sent by the visitor):\n"
                f"{quoted(t.answer)}"
                for t in transcript
            ]
            text = (
                f"A visitor asked for a person.\n\nReference: {reference}\n"
                f"Received: {when.isoformat()}\n\n"
                f"Question:\n{quoted(question)}\n\n"
                f"What the policy says (the assistant's best sections; it judged the question "
                f"{'answered' if answer.answered else 'not answered'}):\n"
                + ("\n".join(sections) if sections else "(no section matched)")
                + "\n\n"
                + ("Conversation before:\n" + "\n".join(turns) + "\n\n" if turns else "")
                + (
                    f"Reply to this e-mail to answer the visitor ({email}).\n"
                    if email
                    else "The visitor gave no address for a reply.\n"
                )
                # A reply through the desk also reaches the visitor's status page and the case.
                + f"To answer on their status page and mark the case answered: "
                f'`privacy-qa escalations reply {reference} "..."` or '
                f"POST /api/support/escalations/{reference}/reply.\n"
            )
            message = build_message(
                sender=self.outbox.sender,
                to=privacy_email,
                reply_to=email,
                subject=f"Question for the privacy team {reference}",
                body=text,
                message_id=new_message_id(self.outbox.sender),
                date=when,
            )
            self.outbox.enqueue(conn, message, "escalation", reference)
            if self.webhooks is not None:
                self.webhooks.emit(conn, "escalation.created", {"reference": reference}, when)
            log.info("escalation %s received", reference)
            query = f"{reference}?token={status_token}"
            return 201, {
                "reference": reference,
                "received_at": when.isoformat(),
                "status_url": f"{self.public_url}/escalations/{query}",
                "api_url": f"{self.public_url}/api/escalations/{query}",
            }

        return run_idempotent(self.store, SCOPE, idempotency_key, body, create)

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
        body = (
            f"The privacy team has answered your question {case.reference}.\n\n"
            f"{text}\n\n"
            f"Your question was:\n{quoted(case.question)}\n\n"
            "Reply to this e-mail to write back; the status page you were given when you sent "
            "the question shows every reply.\n"
        )
        message = build_message(
            sender=self.outbox.sender,
            to=case.email or "",
            reply_to=self.privacy_email,
            subject=f"Answer to your question {case.reference}",
            body=body,
            message_id=new_message_id(self.outbox.sender),
            date=now,
        )
        self.outbox.enqueue(conn, message, "escalation_reply", case.reference)

    def _load(self, conn: Connection, reference: str, *, lock: bool = False) -> Escalation:
        query = select(escalations).where(escalations.c.reference == reference)
        # A change reads, then writes (the replies, the notes, the old status for the history):
        # on PostgreSQL the row is locked so that two at once queue instead of losing one.
        # SQLite's writers are serialised already (BEGIN IMMEDIATE).
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFound(
                f"reference: no escalation {reference!r}; list them with "
                "GET /api/support/escalations",
                "reference",
            )
        return self._from_row(row)

    def _from_row(self, row: Row[Any]) -> Escalation:
        open_ = self.store.cipher.open
        raw = open_(row.transcript)
        turns = tuple(Turn(q, a) for q, a in orjson.loads(raw)) if raw else ()
        replies = open_(row.replies)
        return Escalation(
            reference=row.reference,
            question=open_(row.question),
            transcript=turns,
            email=open_(row.email),
            consent=bool(row.consent),
            created_at=row.created_at,
            erased_at=row.erased_at,
            status=row.status,
            assignee=row.assignee,
            notes=open_(row.notes),
            replies=tuple(
                Reply(datetime.fromisoformat(r["at"]), r["text"]) for r in orjson.loads(replies)
            )
            if replies
            else (),
            updated_at=row.updated_at,
            shown=Shown.from_row(row),
        )
