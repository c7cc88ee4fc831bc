"""The one path of every change to a rights request, whoever makes it: the status rules, the
note, the reply, the mail the change sends, its webhook event and its history row."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, update

from qa.casework.history import REQUESTER, Details, record_change
from qa.casework.letters import Letters
from qa.casework.links import public_link, request_status_path
from qa.casework.request import RightsRequest, load_request
from qa.casework.transitions import NO_VERIFICATION, append_note, transition_values
from qa.delivery.webhooks import Webhooks
from qa.errors import BadTransition, Conflict, QAError
from qa.storage.cipher import token_hash
from qa.storage.schema import rights_requests
from qa.storage.store import Store

SCOPE: Final = "rights_request"
MAX_REPLY = 5000


class Changes:
    """Applies a change in the caller's transaction (the desk's `update`, `verify`, `withdraw`)."""

    def __init__(
        self, store: Store, letters: Letters, webhooks: Webhooks | None, *, public_url: str
    ) -> None:
        self.store = store
        self.letters = letters
        self.webhooks = webhooks
        self.public_url = public_url

    def change(
        self,
        conn: Connection,
        request: RightsRequest,
        *,
        by: str,
        now: datetime,
        status: str | None = None,
        reason: str | None = None,
        note: str | None = None,
        reply: str | None = None,
    ) -> RightsRequest:
        """Every change to a request goes through here, whoever makes it (`by`: REQUESTER, or
        the team member's name): the status rules, the note, the reply, the mail the change
        sends, its webhook event and its history row."""
        seal = self.store.cipher.seal
        values: dict[str, Any] = {"updated_at": now}
        changing = status is not None and status != request.status
        if changing:
            assert status is not None
            values.update(transition_values(request, status, reason, now, seal))
            # The message that goes with the new status; an older one belonged to the old.
            values["reply"] = None
        elif reason is not None and status is None:
            raise QAError("reason: give it with a status of extended or denied", "reason")
        if reply is not None:
            if status is None:
                raise QAError(
                    "reply: give it with a new status; it goes to the requester in the status "
                    "mail (for the team's own words, use note)",
                    "reply",
                )
            # Right in form but not for the request as it stands: a conflict, not bad input.
            if not changing:
                raise Conflict(
                    f"reply: the request is {request.status} already; a reply goes with a new "
                    "status, in the mail that tells the requester of it",
                    "reply",
                )
            if request.email is None:
                raise Conflict("reply: this request has no address to send it to", "reply")
            if not reply.strip() or len(reply) > MAX_REPLY:
                raise QAError(f"reply: write 1 to {MAX_REPLY} characters of text", "reply")
            values["reply"] = seal(reply.strip())
        if note:
            values["notes"] = seal(append_note(request.notes, note, now))
        result = conn.execute(
            update(rights_requests)
            .where(
                rights_requests.c.reference == request.reference,
                # Two changes at once: the second finds the status moved and is refused.
                rights_requests.c.status == request.status,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            raise BadTransition(
                "status: the request changed meanwhile; read it again and retry", "status"
            )
        updated = load_request(conn, self.store.cipher, request.reference)
        if changing or note:  # a status it has already, and no note: nothing changed
            action = updated.status if by == REQUESTER and changing else "status_changed"
            details = Details(
                old_status=request.status if changing else None,
                new_status=updated.status if changing else None,
                note_added=bool(note),
                reason_given=changing and reason is not None,
                reply_sent=reply is not None,
            )
            record_change(
                conn,
                SCOPE,
                request.reference,
                by,
                action if changing else "note_added",
                now,
                details,
            )
        if changing:
            self._announce(conn, updated, by, now)
            # One event per change: becoming verified is `verified`, whoever confirmed it.
            kind = "verified" if updated.status == "verified" else "status_changed"
            self.emit(conn, f"rights_request.{kind}", updated, now, previous_status=request.status)
        return updated

    def _announce(self, conn: Connection, request: RightsRequest, by: str, now: datetime) -> None:
        """The mail a new status sends: the team's change goes to the requester; the
        requester's (confirming, withdrawing) to the team."""
        if by != REQUESTER:
            if request.email:
                self._mail_status_change(conn, request)
        elif request.status == "verified":
            self.letters.privacy_team(conn, request)
        elif request.status == "withdrawn" and (
            request.verified_at is not None or request.right in NO_VERIFICATION
        ):
            # A request never confirmed never reached the team: nothing to call off.
            self.letters.withdrawal(conn, request, now)

    # -- rows and mail -------------------------------------------------------------------

    def _mail_status_change(self, conn: Connection, request: RightsRequest) -> None:
        # The status token is kept only as a hash, so the link in this mail is a new one; the
        # first link keeps working beside it.
        status_token = secrets.token_urlsafe(32)
        conn.execute(
            update(rights_requests)
            .where(rights_requests.c.reference == request.reference)
            .values(mailed_token_hash=token_hash(status_token))
        )
        self.letters.status_change(
            conn,
            request,
            public_link(self.public_url, request_status_path(request.reference, status_token)),
        )

    def emit(
        self, conn: Connection, type: str, request: RightsRequest, now: datetime, **more: str
    ) -> None:
        if self.webhooks is not None:
            self.webhooks.emit(conn, type, {**request.event_data(), **more}, now)
