"""The rights request's state machine: which status may follow which, and what a move sets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qa.casework.deadlines import QUICK_RIGHTS, may_extend
from qa.errors import BadTransition, QAError
from qa.vocabulary import STATUSES

if TYPE_CHECKING:  # the request's module reads allowed_next from here
    from qa.casework.request import RightsRequest

CLOSED = frozenset({"completed", "denied", "withdrawn"})
OPEN = tuple(status for status in STATUSES if status not in CLOSED)
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"verified", "denied", "withdrawn"}),
    "verified": frozenset({"in_progress", "extended", "completed", "denied", "withdrawn"}),
    "in_progress": frozenset({"extended", "completed", "denied", "withdrawn"}),
    "extended": frozenset({"in_progress", "completed", "denied", "withdrawn"}),
    "completed": frozenset(),
    "denied": frozenset(),
    "withdrawn": frozenset(),
}
# A request that needs no verification may be worked on straight from `received`. The CPRA
# regulations (§7026(d), §7027(e)) say an opt-out and a request to limit are not verifiable
# requests: a confirmation step would only eat into their 15 business days.
UNVERIFIED_WORK = frozenset({"in_progress", "completed"})
# The statuses a requester may withdraw from (the open ones): TRANSITIONS decides.
WITHDRAWABLE = frozenset(status for status in OPEN if "withdrawn" in TRANSITIONS[status])
NO_VERIFICATION = QUICK_RIGHTS
MAX_NOTES = 20_000


def append_note(notes: str | None, note: str, now: datetime) -> str:
    """The notes with one more, stamped; a QAError naming `note` when they are full."""
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    notes = (notes or "") + f"{stamp}: {note.strip()}\n"
    if len(notes) > MAX_NOTES:
        raise QAError(f"note: the notes are full ({MAX_NOTES} characters)", "note")
    return notes


def allowed_next(status: str, right: str) -> frozenset[str]:
    """The statuses a request may move to from `status`."""
    allowed = TRANSITIONS[status]
    if status == "received" and right in NO_VERIFICATION:
        allowed = allowed | UNVERIFIED_WORK
    return allowed


def transition_values(
    request: RightsRequest,
    status: str,
    reason: str | None,
    now: datetime,
    seal: Callable[[str | None], str | None],
) -> dict[str, Any]:
    """The columns a move of `request` to `status` sets (a denial's or an extension's reason
    sealed with `seal`); a QAError or BadTransition naming the field when the rules refuse it."""
    if status not in STATUSES:
        raise QAError(f"status: use one of {', '.join(STATUSES)}", "status")
    if status not in allowed_next(request.status, request.right):
        allowed = ", ".join(sorted(allowed_next(request.status, request.right))) or "none"
        raise BadTransition(
            f"status: a {request.status} request cannot become {status}; allowed: {allowed}",
            "status",
        )
    values: dict[str, Any] = {"status": status}
    if status == "verified":
        values["verified_at"] = now
    if status in CLOSED:
        values["closed_at"] = now
    if status == "denied":
        if not reason:
            raise QAError("reason: a denial needs a reason the requester will read", "reason")
        # The team's words to the requester may name them: sealed like the notes.
        values["reason"] = seal(reason)
    if status == "extended":
        if request.extended_at is not None:
            raise BadTransition("status: the request was extended already; once only", "status")
        if not reason:
            raise QAError("reason: an extension needs a reason the requester will read", "reason")
        why_not = may_extend(request.deadlines, now.date())
        if why_not:
            raise BadTransition(f"status: {why_not}", "status")
        values.update(
            due_at=request.deadlines.extended_due,
            extended_at=now,
            extension_reason=seal(reason),
        )
    return values
