"""Keeping personal data only as long as needed: erase one requester, purge what is past retention.

Erasing keeps each record's skeleton (reference, right, dates, status) because the privacy team
must be able to show it answered on time; the name, address, details, notes, question, transcript
and the mail bodies go.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, select, update

from qa.store import (
    Store,
    email_hash,
    escalations,
    idempotency_keys,
    outbox,
    rights_requests,
    utcnow,
)

log = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Erased:
    """How many records had their personal data removed."""

    rights_requests: int
    escalations: int
    mails: int

    def to_dict(self) -> dict[str, int]:
        """JSON-ready counts."""
        return {
            "rights_requests": self.rights_requests,
            "escalations": self.escalations,
            "mails": self.mails,
        }


_REQUEST_PERSONAL = {
    "name": None,
    "email": None,
    "details": None,
    "question": None,
    "notes": None,
    "email_hash": None,
}


def _erase_mail(conn: Connection, references: list[str]) -> int:
    if not references:
        return 0
    # A pending mail without its body cannot be sent; it is closed as erased.
    result = conn.execute(
        update(outbox)
        .where(outbox.c.reference.in_(references), outbox.c.raw.is_not(None))
        .values(
            recipient=None,
            raw=None,
            status=case((outbox.c.status == "pending", "erased"), else_=outbox.c.status),
        )
    )
    return result.rowcount or 0


def _erase(
    conn: Connection, request_refs: list[str], escalation_refs: list[str], now: datetime
) -> Erased:
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
            .values(question=None, transcript=None, email=None, email_hash=None, erased_at=now)
        )
    mails = _erase_mail(conn, request_refs + escalation_refs)
    return Erased(len(request_refs), len(escalation_refs), mails)


def erase_requester(store: Store, email: str, now: datetime | None = None) -> Erased:
    """Remove one person's data from every request, escalation and mail (an erasure request)."""
    now = now or utcnow()
    digest = email_hash(email)
    with store.transaction() as conn:
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
        erased = _erase(conn, request_refs, escalation_refs, now)
    log.info(
        "erased one requester: %d request(s), %d escalation(s)",
        erased.rights_requests,
        erased.escalations,
    )
    return erased


def purge(store: Store, retention_days: int, now: datetime | None = None) -> Erased:
    """Erase personal data of requests closed, and escalations made, over `retention_days` ago."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    with store.transaction() as conn:
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
        erased = _erase(conn, request_refs, escalation_refs, now)
        # Sent mail is only a copy of what the records hold; it goes after the same time.
        result = conn.execute(
            delete(outbox).where(outbox.c.status != "pending", outbox.c.created_at < cutoff)
        )
        conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < now - IDEMPOTENCY_WINDOW)
        )
    return Erased(erased.rights_requests, erased.escalations, erased.mails + (result.rowcount or 0))
