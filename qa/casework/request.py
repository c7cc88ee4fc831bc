"""A rights request as the desk holds it: what a visitor submits, the stored request, and the
answers to a submission and to a resend; the checks of the secret tokens that open it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from qa.casework.deadlines import Deadlines, deadlines
from qa.casework.links import token_in
from qa.casework.shown import Shown
from qa.casework.transitions import allowed_next
from qa.errors import NotFound
from qa.storage.cipher import Cipher, token_hash
from qa.storage.schema import rights_requests

NOT_FOUND = "no request with this reference and token; use the status link from your e-mail"
_NO_HASH = "0" * 64  # compared against when a row has no such token, so timing says nothing


@dataclass(frozen=True)
class Intake:
    """What a visitor submits."""

    right: str
    jurisdiction: str
    name: str
    email: str
    details: str | None = None
    question: str | None = None
    sections: tuple[str, ...] = ()  # the ids of the sections the visitor was shown, if known

    def to_dict(self) -> dict[str, Any]:
        """The fields, for the idempotency hash."""
        return {
            "right": self.right,
            "jurisdiction": self.jurisdiction,
            "name": self.name,
            "email": self.email,
            "details": self.details,
            "question": self.question,
            "sections": list(self.sections),
        }


@dataclass(frozen=True)
class RightsRequest:
    """A stored rights request; personal fields are None once erased."""

    reference: str
    right: str
    jurisdiction: str
    status: str
    name: str | None
    email: str | None
    details: str | None
    question: str | None
    notes: str | None
    received_at: datetime
    verified_at: datetime | None
    updated_at: datetime
    closed_at: datetime | None
    erased_at: datetime | None
    confirm_by: date | None
    due_at: date
    original_due_at: date
    extended_at: datetime | None
    extension_reason: str | None
    reason: str | None
    reply: str | None = None
    shown: Shown = field(default_factory=Shown)

    @property
    def deadlines(self) -> Deadlines:
        """The deadlines the law sets for this request."""
        return deadlines(self.right, self.jurisdiction, self.received_at.date())

    def public_dict(self) -> dict[str, Any]:
        """What the requester sees on the status URL: no personal data."""
        return {
            "reference": self.reference,
            "right": self.right,
            "jurisdiction": self.jurisdiction,
            "status": self.status,
            "received_at": _iso(self.received_at),
            "verified_at": _iso(self.verified_at),
            "confirm_by": _iso(self.confirm_by),
            "due_at": self.due_at.isoformat(),
            "extended": self.extended_at is not None,
            "extension_reason": self.extension_reason,
            "reason": self.reason,
            "reply": self.reply,
            "closed_at": _iso(self.closed_at),
        }

    def event_data(self) -> dict[str, Any]:
        """What a webhook tells of the request: the reference and fields that name no one."""
        return {
            "reference": self.reference,
            "right": self.right,
            "jurisdiction": self.jurisdiction,
            "status": self.status,
            "due_at": self.due_at.isoformat(),
        }

    def support_dict(self) -> dict[str, Any]:
        """What the privacy team sees."""
        return {
            **self.public_dict(),
            "name": self.name,
            "email": self.email,
            "details": self.details,
            "question": self.question,
            "notes": self.notes,
            "original_due_at": self.original_due_at.isoformat(),
            "latest_due_at": _iso(self.deadlines.extended_due),
            "updated_at": _iso(self.updated_at),
            "erased_at": _iso(self.erased_at),
            "allowed_statuses": sorted(allowed_next(self.status, self.right)),
            **self.shown.to_dict(),
        }


@dataclass(frozen=True)
class Created:
    """A new rights request as its submission made it: the request's public view at that moment
    (what a retry with the same Idempotency-Key repeats), its status token (given only here:
    the store keeps a hash) and whether the mail to the address went (False: the mail limit)."""

    view: dict[str, Any]
    status_token: str
    mailed: bool

    @property
    def reference(self) -> str:
        """The request's reference."""
        return str(self.view["reference"])

    def record(self) -> dict[str, Any]:
        """What the idempotency store keeps to replay this answer (sealed with the key)."""
        return {
            "reference": self.reference,
            "request": self.view,
            "status_token": self.status_token,
            "mailed": self.mailed,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Created:
        """The answer `record` keeps, as stored now or by an earlier version (which kept the
        public view with the links themselves)."""
        if "status_token" in record:
            return cls(record["request"], record["status_token"], record["mailed"])
        view = {k: v for k, v in record.items() if k not in ("status_url", "api_url", "mailed")}
        return cls(view, token_in(record["status_url"]), record.get("mailed", True))


@dataclass(frozen=True)
class Resent:
    """What asking for a new verification link did. `outcome`: sent; confirmed (the address is
    confirmed already); not_needed (this right, or the request's status, needs none); closed
    (the request is withdrawn or declined); limited (the address has had its share of mail)."""

    request: RightsRequest
    outcome: str


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def token_opens(row: Row[Any] | None, token: str | None) -> bool:
    """Whether `token` is the row's status token: the first one or the latest mailed one. Both
    are compared, always, so the time taken says nothing about which (or whether) one is near."""
    given = token_hash(token or "")
    first = row.status_token_hash if row is not None else _NO_HASH
    mailed = (row.mailed_token_hash if row is not None else None) or _NO_HASH
    return bool(hmac.compare_digest(first, given) | hmac.compare_digest(mailed, given))


def link_opens(row: Row[Any] | None, link: str | None) -> bool:
    """Whether `link` is the row's verification token (expired or not, but not yet replaced)."""
    stored = (row.verify_token_hash if row is not None else None) or _NO_HASH
    return link is not None and hmac.compare_digest(stored, token_hash(link))


def token_matches(row: Row[Any] | None, token: str) -> bool:
    """Whether `token` is the status token of `row` (an escalation's; a rights request also
    opens with its latest mailed token, `token_opens`)."""
    # Compare a hash even when the reference is unknown, so both answers take as long.
    stored = row.status_token_hash if row is not None else None
    return hmac.compare_digest(stored or _NO_HASH, token_hash(token)) and row is not None


def request_from_row(row: Row[Any], cipher: Cipher) -> RightsRequest:
    """The request a row holds, its sealed fields opened."""
    open_ = cipher.open
    return RightsRequest(
        reference=row.reference,
        right=row.right,
        jurisdiction=row.jurisdiction,
        status=row.status,
        name=open_(row.name),
        email=open_(row.email),
        details=open_(row.details),
        question=open_(row.question),
        notes=open_(row.notes),
        received_at=row.received_at,
        verified_at=row.verified_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        erased_at=row.erased_at,
        confirm_by=row.confirm_by,
        due_at=row.due_at,
        original_due_at=row.original_due_at,
        extended_at=row.extended_at,
        extension_reason=open_(row.extension_reason),
        reason=open_(row.reason),
        reply=open_(row.reply),
        shown=Shown.from_row(row),
    )


def load_request(
    conn: Connection, cipher: Cipher, reference: str, *, lock: bool = False
) -> RightsRequest:
    """The request `reference`, or a NotFound naming the reference."""
    query = select(rights_requests).where(rights_requests.c.reference == reference)
    # A change reads, then writes (notes, the transition, the history's old status): on
    # PostgreSQL the row is locked so that two changes at once queue instead of losing one.
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(
            f"reference: no rights request {reference!r}; check the reference (the list of "
            "requests gives each one)",
            "reference",
        )
    return request_from_row(row, cipher)


def authorised_row(
    conn: Connection, reference: str, token: str | None, link: str | None = None
) -> Row[Any]:
    """The row of `reference` if `token` is one of its status tokens (or `link` its
    verification token); else the same NotFound for any mistake, unknown reference included."""
    row = conn.execute(
        select(rights_requests).where(rights_requests.c.reference == reference)
    ).first()
    # Compare hashes even when the reference is unknown, so every answer takes as long.
    opens = token_opens(row, token) | link_opens(row, link)
    if row is None or not opens or row.erased_at is not None:
        raise NotFound(NOT_FOUND, "token")
    return row
