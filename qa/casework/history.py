"""The history of a case: who changed a rights request or an escalation, what, and when.

Rows are appended in the transaction of the change they describe, and nothing updates or
deletes them: not the support API, the CLI, the purge or an erasure. They can outlive the
person's data because they hold none of it: the actor is a support key's name, `requester`,
`system` or `cli:<user>`; the details are statuses, an assignee's name (checked like a key's
name, so never an address) and flags such as "a note was added", never the note, a reply, a
reason, a name or an e-mail address.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, select

from qa.errors import QAError
from qa.settings import KEY_NAME
from qa.storage.schema import history

Kind = Literal["rights_request", "escalation"]
REQUESTER = "requester"  # the visitor: a submission, a verification, a withdrawal
SYSTEM = "system"  # the server on its own: the retention purge
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Details:
    """What a change did, without personal data: every field is a status, a name or a flag."""

    old_status: str | None = None
    new_status: str | None = None
    assignee: str | None = None
    note_added: bool = False
    reason_given: bool = False
    reply_sent: bool = False  # a reply to the visitor was stored (and mailed, if `mailed`)
    mailed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Only what is set, so a row says what changed."""
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}


@dataclass(frozen=True)
class Change:
    """One row of a case's history."""

    actor: str
    action: str
    at: datetime
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "actor": self.actor,
            "action": self.action,
            "at": self.at.isoformat(),
            "details": self.details,
        }


def cli_actor() -> str:
    """The actor of a change made with `privacy-qa`: `cli:` and the login name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container's numeric user)
        user = "unknown"
    return "cli:" + (_UNSAFE.sub("_", user)[:64] or "unknown")


def check_assignee(value: str, field: str = "assignee") -> str:
    """An assignee's name: one of the team, written like a key's name (never an address)."""
    if not KEY_NAME.fullmatch(value):
        raise QAError(
            f"{field}: give a name of 1 to 64 letters, digits, '-', '_' or '.' (a support "
            "key's name such as alice), not an e-mail address",
            field,
        )
    return value


def record_change(
    conn: Connection,
    kind: Kind,
    reference: str,
    actor: str,
    action: str,
    at: datetime,
    details: Details | None = None,
) -> None:
    """Append one row, in the caller's transaction (the change and its row commit together)."""
    conn.execute(
        history.insert().values(
            kind=kind,
            reference=reference,
            actor=actor,
            action=action,
            at=at,
            details=orjson.dumps((details or Details()).to_dict()).decode(),
        )
    )


def history_of(conn: Connection, kind: Kind, reference: str) -> list[Change]:
    """A case's changes, oldest first."""
    rows = conn.execute(
        select(history)
        .where(history.c.kind == kind, history.c.reference == reference)
        .order_by(history.c.id)
    ).all()
    return [Change(r.actor, r.action, r.at, orjson.loads(r.details)) for r in rows]
