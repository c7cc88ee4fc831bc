"""An escalation as the desk holds it: the chat before it, the team's replies, the answer to a
submission."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row

from qa.casework.links import token_in
from qa.casework.shown import Shown
from qa.storage.cipher import Cipher


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


@dataclass(frozen=True)
class EscalationCreated:
    """A new escalation: its reference, when it arrived, and its status token (given only here:
    the store keeps a hash)."""

    reference: str
    received_at: str
    status_token: str

    def record(self) -> dict[str, Any]:
        """What the idempotency store keeps to replay this answer (sealed with the key)."""
        return {
            "reference": self.reference,
            "received_at": self.received_at,
            "status_token": self.status_token,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> EscalationCreated:
        """The answer `record` keeps, as stored now or by an earlier version (which kept the
        status link itself)."""
        token = record.get("status_token") or token_in(record["status_url"])
        return cls(record["reference"], record["received_at"], token)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def escalation_from_row(row: Row[Any], cipher: Cipher) -> Escalation:
    """The escalation a row holds, its sealed fields opened."""
    open_ = cipher.open
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
