"""What the daily digest lists, on day D (UTC, the calendar the deadlines are kept in) with a
window of N days (PRIVACY_QA_REMINDER_DAYS), over open requests (not completed, denied or
withdrawn; an erased request still has its dates and counts):

- overdue: due before D (`due_at`, the extended date once extended);
- due soon: due from D to D + N, both included;
- CCPA receipts to confirm: `confirm_by` on or before D + N (past ones too) while the request
  is still `received` or `verified`. The automatic mails only tell the requester that it
  arrived; the confirmation the regulations ask for (§7021(a)) also says how it will be
  handled and when, which is the team's, and the desk records the team taking a request up by
  moving it on (in_progress, extended or closed);
- extension notices due: a request that may still become `extended` (its right's deadline can
  be extended, it was not yet, and its status allows it) whose first deadline, the last day
  to give the requester the extension and its reason, falls from D to D + N. Such a request is
  also due soon: it is listed twice, the second time with the date it could be extended to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select

from qa.casework.deadlines import deadlines
from qa.casework.transitions import CLOSED, allowed_next
from qa.storage.schema import rights_requests
from qa.vocabulary import JURISDICTION_LABELS

UNCONFIRMED = frozenset({"received", "verified"})


@dataclass(frozen=True)
class Reminder:
    """One line of the digest: a request and the date it is listed for."""

    reference: str
    right: str
    jurisdiction: str
    status: str
    on: date  # the due date, the confirm-by date, or the first deadline (extensions)
    until: date | None = None  # extensions: the latest date it may be extended to

    def line(self, day: date) -> str:
        """The request as one line of the mail."""
        late = (day - self.on).days
        when = f"{self.on.isoformat()}" + (f" ({late} day(s) ago)" if late > 0 else "")
        extend = f", may extend to {self.until.isoformat()}" if self.until else ""
        return (
            f"  {self.reference:<16} {self.right:<17} "
            f"{JURISDICTION_LABELS[self.jurisdiction]:<19} {self.status:<12} {when}{extend}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "reference": self.reference,
            "right": self.right,
            "jurisdiction": self.jurisdiction,
            "status": self.status,
            "date": self.on.isoformat(),
            "extend_until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class Digest:
    """What is due on `day`, looking `days` ahead."""

    day: date
    days: int
    overdue: list[Reminder] = field(default_factory=list)
    due_soon: list[Reminder] = field(default_factory=list)
    to_confirm: list[Reminder] = field(default_factory=list)
    to_extend: list[Reminder] = field(default_factory=list)

    @property
    def items(self) -> int:
        """Lines in the digest (a request may be on more than one)."""
        return len(self.overdue) + len(self.due_soon) + len(self.to_confirm) + len(self.to_extend)

    @property
    def subject(self) -> str:
        """The mail's subject: the counts that matter most first."""
        return (
            f"Privacy requests due {self.day.isoformat()}: {len(self.overdue)} overdue, "
            f"{len(self.due_soon)} within {self.days} day(s)"
        )

    def sections(self) -> list[tuple[str, list[Reminder]]]:
        """Each heading with its lines."""
        return [
            ("Overdue (due date)", self.overdue),
            (f"Due within {self.days} day(s) (due date)", self.due_soon),
            ("CCPA: confirm receipt by (set in_progress once confirmed)", self.to_confirm),
            (
                "Extension notice due by the first deadline (if more time is needed, set "
                "extended with the reason)",
                self.to_extend,
            ),
        ]

    def text(self) -> str:
        """The digest as plain text: the mail's body, and what `privacy-qa reminders` prints."""
        lines = [f"Rights requests that need the privacy team, as of {self.day.isoformat()} (UTC)."]
        for heading, reminders in self.sections():
            if reminders:
                lines += ["", f"{heading}: {len(reminders)}"]
                lines += [r.line(self.day) for r in reminders]
        if not self.items:
            lines += ["", "Nothing is due."]
        lines += [
            "",
            "See a request with `privacy-qa requests show REFERENCE` or in the support tool.",
        ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "day": self.day.isoformat(),
            "days": self.days,
            "overdue": [r.to_dict() for r in self.overdue],
            "due_soon": [r.to_dict() for r in self.due_soon],
            "to_confirm": [r.to_dict() for r in self.to_confirm],
            "to_extend": [r.to_dict() for r in self.to_extend],
        }


def find_due(conn: Connection, day: date, days: int) -> Digest:
    """What is due on `day` looking `days` ahead (see the module's docstring for what counts)."""
    horizon = day + timedelta(days=days)
    c = rights_requests.c
    rows = conn.execute(
        select(
            c.reference,
            c.right,
            c.jurisdiction,
            c.status,
            c.received_at,
            c.confirm_by,
            c.due_at,
            c.extended_at,
        )
        .where(c.status.not_in(CLOSED), (c.due_at <= horizon) | (c.confirm_by <= horizon))
        .order_by(c.due_at, c.id)
    ).all()
    digest = Digest(day, days)
    for row in rows:
        listed = (row.reference, row.right, row.jurisdiction, row.status)
        if row.due_at < day:
            digest.overdue.append(Reminder(*listed, row.due_at))
        elif row.due_at <= horizon:
            digest.due_soon.append(Reminder(*listed, row.due_at))
            latest = deadlines(row.right, row.jurisdiction, row.received_at.date()).extended_due
            if (
                latest is not None
                and row.extended_at is None
                and "extended" in allowed_next(row.status, row.right)
            ):
                digest.to_extend.append(Reminder(*listed, row.due_at, latest))
        if row.confirm_by is not None and row.confirm_by <= horizon and row.status in UNCONFIRMED:
            digest.to_confirm.append(Reminder(*listed, row.confirm_by))
    digest.to_confirm.sort(key=lambda r: r.on)
    return digest
