"""Escalations: a question the policy does not answer, handed to a person on the privacy team."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, func, select

from qa.assistant import MAX_QUESTION, Assistant
from qa.errors import NoPrivacyMailbox, QAError
from qa.mail import build_message, new_message_id, quoted
from qa.outbox import Outbox
from qa.store import Store, email_hash, escalations, run_idempotent, utcnow
from qa.webhooks import Webhooks

log = logging.getLogger(__name__)

SCOPE = "escalation"
SECTIONS_IN_MAIL = 3


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

    def to_dict(self) -> dict[str, Any]:
        """What the privacy team sees."""
        return {
            "reference": self.reference,
            "question": self.question,
            "transcript": [{"question": t.question, "answer": t.answer} for t in self.transcript],
            "email": self.email,
            "consent": self.consent,
            "created_at": self.created_at.isoformat(),
            "erased_at": None if self.erased_at is None else self.erased_at.isoformat(),
        }


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
        body = {
            "question": question,
            "transcript": [[t.question, t.answer] for t in transcript],
            "email": email,
            "consent": consent,
        }

        def create(conn: Connection) -> tuple[int, dict[str, Any]]:
            seal = self.store.cipher.seal
            reference = self.store.next_reference(conn, "ESC", when)
            conn.execute(
                escalations.insert().values(
                    reference=reference,
                    question=seal(question),
                    transcript=seal(orjson.dumps(body["transcript"]).decode()),
                    email=seal(email),
                    email_hash=email_hash(email) if email else None,
                    consent=consent,
                    created_at=when,
                )
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
            return 201, {"reference": reference, "received_at": when.isoformat()}

        return run_idempotent(self.store, SCOPE, idempotency_key, body, create)

    def list(self, limit: int = 100, offset: int = 0) -> list[Escalation]:
        """Escalations, newest first."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(escalations)
                .order_by(escalations.c.created_at.desc(), escalations.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return [self._from_row(r) for r in rows]

    def count(self) -> int:
        """How many escalations `list` would give with no limit."""
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(escalations)).scalar_one())

    def _from_row(self, row: Row[Any]) -> Escalation:
        open_ = self.store.cipher.open
        raw = open_(row.transcript)
        turns = tuple(Turn(q, a) for q, a in orjson.loads(raw)) if raw else ()
        return Escalation(
            reference=row.reference,
            question=open_(row.question),
            transcript=turns,
            email=open_(row.email),
            consent=bool(row.consent),
            created_at=row.created_at,
            erased_at=row.erased_at,
        )
