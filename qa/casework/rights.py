"""The rights-request desk: intake, e-mail verification, status, and the privacy team's changes.

Its parts: request.py (the records), transitions.py (the status rules), letters.py (the mails),
mail_limit.py (the per-mailbox mail limit). Every front end goes through this desk.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Row, Select, func, select, update

from index.library import Library
from qa.casework.deadlines import deadlines
from qa.casework.history import REQUESTER, SYSTEM, Change, Details, history_of, record_change
from qa.casework.letters import Letters
from qa.casework.links import public_link, request_status_path
from qa.casework.mail_limit import PERIOD_WORDS as PERIOD_WORDS
from qa.casework.mail_limit import may_mail
from qa.casework.request import Created as Created
from qa.casework.request import Intake as Intake
from qa.casework.request import Resent as Resent
from qa.casework.request import RightsRequest as RightsRequest
from qa.casework.request import link_opens, request_from_row, token_opens
from qa.casework.shown import Shown, shown_by_ids
from qa.casework.transitions import CLOSED as CLOSED
from qa.casework.transitions import NO_VERIFICATION as NO_VERIFICATION
from qa.casework.transitions import WITHDRAWABLE as WITHDRAWABLE
from qa.casework.transitions import allowed_next as allowed_next
from qa.casework.transitions import append_note, transition_values
from qa.delivery.outbox import Outbox
from qa.delivery.webhooks import Webhooks
from qa.errors import BadTransition, Conflict, LinkNotValid, NoPrivacyMailbox, NotFound, QAError
from qa.ratelimits import Limit
from qa.storage.store import (
    Store,
    email_hash,
    mailbox_hash,
    rights_requests,
    run_idempotent,
    token_hash,
    utcnow,
)
from qa.vocabulary import RIGHTS, status_words

log = logging.getLogger(__name__)

MAX_REPLY = 5000
SCOPE: Final = "rights_request"
LINK_USED = "This confirmation link has already been used; your request is confirmed."
NOT_FOUND = "no request with this reference and token; use the status link from your e-mail"


class RightsRequests:
    """The rights-request desk: every front end (API, CLI, support tool) goes through it."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        *,
        public_url: str,
        privacy_email: str | None,
        verification_ttl: timedelta = timedelta(hours=72),
        mail_limit: Limit | None = None,
        webhooks: Webhooks | None = None,
        library: Library | None = None,
    ) -> None:
        self.library = library  # the policy whose section ids a request may name
        self.store = store
        self.outbox = outbox
        self.webhooks = webhooks
        self.public_url = public_url.rstrip("/")
        self.privacy_email = privacy_email
        self.verification_ttl = verification_ttl
        self.mail_limit = mail_limit
        self.letters = Letters(
            outbox,
            public_url=self.public_url,
            privacy_email=privacy_email,
            verification_ttl=verification_ttl,
            mail_limit=mail_limit,
        )

    # -- the visitor's side --------------------------------------------------------------

    def submit(
        self, intake: Intake, idempotency_key: str | None = None, now: datetime | None = None
    ) -> Created:
        """Store a request with its mail in one transaction; the request and its status token
        (a retry with the same Idempotency-Key and body gets the first answer again)."""
        if self.privacy_email is None:
            raise NoPrivacyMailbox()
        if intake.right not in RIGHTS:
            raise QAError(f"right: use one of {', '.join(RIGHTS)}", "right")
        when = now or utcnow()
        shown = self._shown(intake.sections)

        def create(conn: Connection) -> dict[str, Any]:
            return self._create(conn, intake, shown, when).record()

        record = run_idempotent(self.store, SCOPE, idempotency_key, intake.to_dict(), create)
        return Created.from_record(record)

    def _shown(self, ids: tuple[str, ...]) -> Shown:
        if self.library is None:  # a desk built without a policy (tests of the store alone)
            if ids:
                raise QAError(
                    "sections: this desk knows no policy to check them against", "sections"
                )
            return Shown()
        return shown_by_ids(self.library, ids)

    def _create(self, conn: Connection, intake: Intake, shown: Shown, now: datetime) -> Created:
        mailbox = mailbox_hash(intake.email)
        mailing = may_mail(conn, self.store.dialect, mailbox, now, self.mail_limit)
        seal = self.store.cipher.seal
        reference = self.store.next_reference(conn, "RR", now)
        clock = deadlines(intake.right, intake.jurisdiction, now.date())
        status_token = secrets.token_urlsafe(32)
        needs_verification = intake.right not in NO_VERIFICATION
        # No mail, no link: a request beyond the limit is confirmed by the team, if at all.
        verify_token = secrets.token_urlsafe(32) if needs_verification and mailing else None
        conn.execute(
            rights_requests.insert().values(
                reference=reference,
                right=intake.right,
                jurisdiction=intake.jurisdiction,
                status="received",
                name=seal(intake.name),
                email=seal(intake.email),
                details=seal(intake.details),
                question=seal(intake.question),
                email_hash=email_hash(intake.email),
                status_token_hash=token_hash(status_token),
                verify_token_hash=token_hash(verify_token) if verify_token else None,
                verify_expires_at=now + self.verification_ttl if verify_token else None,
                received_at=now,
                updated_at=now,
                confirm_by=clock.confirm_by,
                due_at=clock.due,
                original_due_at=clock.due,
                **shown.columns(),
            )
        )
        record_change(
            conn, SCOPE, reference, REQUESTER, "created", now, Details(new_status="received")
        )
        request = self._load(conn, reference)
        status_url = self._status_url(reference, status_token)
        if not mailing:
            self.letters.limit_notice(conn, request, mailbox, now)
        elif verify_token:
            self.letters.verification(conn, request, verify_token, status_url, mailbox)
        else:
            self.letters.acknowledgement(conn, request, status_url, mailbox)
            self.letters.privacy_team(conn, request)
        self._emit(conn, "rights_request.created", request, now)
        log.info("rights request %s received (%s)", reference, intake.right)
        return Created(request.public_dict(), status_token, mailing)

    def status(self, reference: str, token: str) -> RightsRequest:
        """The request if `token` is its status token; the same NotFound for either mistake."""
        with self.store.read() as conn:
            return self._from_row(self._authorised(conn, reference, token))

    def _authorised(
        self, conn: Connection, reference: str, token: str | None, link: str | None = None
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

    def resend_verification(
        self,
        reference: str,
        *,
        token: str | None = None,
        link: str | None = None,
        now: datetime | None = None,
    ) -> Resent:
        """A new verification link (and status link) for a request still waiting to be
        confirmed, mailed to the address it names within the per-mailbox mail limit. `token`
        (a status token) or `link` (its last verification token, expired) shows the caller
        holds the request's mail; the old verification link stops working."""
        now = now or utcnow()
        with self.store.transaction() as conn:
            request = self._from_row(self._authorised(conn, reference, token, link))
            if request.verified_at is not None:
                return Resent(request, "confirmed")
            if request.status in CLOSED:
                return Resent(request, "closed")
            if request.status != "received" or request.right in NO_VERIFICATION:
                return Resent(request, "not_needed")
            mailbox = mailbox_hash(request.email or "")
            # The same count as a new submission's: resending cannot flood a mailbox either.
            if not may_mail(conn, self.store.dialect, mailbox, now, self.mail_limit):
                return Resent(request, "limited")
            verify_token = secrets.token_urlsafe(32)
            status_token = secrets.token_urlsafe(32)
            conn.execute(
                update(rights_requests)
                .where(rights_requests.c.reference == reference)
                .values(
                    verify_token_hash=token_hash(verify_token),
                    verify_expires_at=now + self.verification_ttl,
                    mailed_token_hash=token_hash(status_token),
                    updated_at=now,
                )
            )
            status_url = self._status_url(reference, status_token)
            self.letters.verification(conn, request, verify_token, status_url, mailbox)
            record_change(conn, SCOPE, reference, REQUESTER, "link_resent", now, Details())
        log.info("rights request %s: verification link sent again", reference)
        return Resent(request, "sent")

    def withdraw(self, reference: str, token: str, now: datetime | None = None) -> RightsRequest:
        """The requester withdraws an open request (with its status token); privacy@ is told."""
        now = now or utcnow()
        with self.store.transaction() as conn:
            request = self._from_row(self._authorised(conn, reference, token))
            if request.status not in WITHDRAWABLE:
                raise BadTransition(
                    f"status: this request is {status_words(request.status)} already; only "
                    "an open request can be withdrawn",
                    "status",
                )
            updated = self._change(conn, request, by=REQUESTER, now=now, status="withdrawn")
        log.info("rights request %s withdrawn by the requester", reference)
        return updated

    def verify(self, token: str, now: datetime | None = None) -> RightsRequest:
        """Confirm the requester's e-mail (single use, until expiry); privacy@ gets the request."""
        now = now or utcnow()
        with self.store.transaction() as conn:
            row = conn.execute(
                select(rights_requests).where(
                    rights_requests.c.verify_token_hash == token_hash(token)
                )
            ).first()
            if row is None:
                raise LinkNotValid(
                    "This confirmation link is not valid. Check that you opened the whole link "
                    "from the e-mail.",
                    "unknown",
                )
            if row.erased_at is not None:  # erasure drops the token too; this is a backstop
                raise LinkNotValid(
                    "This request's personal data has been erased; the link no longer works.",
                    "erased",
                )
            if row.verified_at is not None:
                raise LinkNotValid(LINK_USED, "used")
            if row.status != "received":
                raise LinkNotValid(
                    f"This request is {status_words(row.status)} and needs no confirmation.",
                    "used",
                )
            if row.verify_expires_at is None or now > row.verify_expires_at:
                raise LinkNotValid(
                    "This confirmation link has expired. We can send you a new one.",
                    "expired",
                    row.reference,
                )
            try:
                request = self._change(
                    conn, self._from_row(row), by=REQUESTER, now=now, status="verified"
                )
            except BadTransition:  # a second click at the same moment confirmed it first
                raise LinkNotValid(LINK_USED, "used") from None
        log.info("rights request %s verified", request.reference)
        return request

    # -- the privacy team's side ---------------------------------------------------------

    def list(
        self,
        status: str | None = None,
        due_before: date | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RightsRequest]:
        """Requests, soonest due first; filtered by status and by due date (exclusive)."""
        query = _filtered(status, due_before).order_by(
            rights_requests.c.due_at, rights_requests.c.id
        )
        with self.store.read() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [self._from_row(r) for r in rows]

    def count(self, status: str | None = None, due_before: date | None = None) -> int:
        """How many requests `list` would give with the same filters and no limit."""
        query = select(func.count()).select_from(_filtered(status, due_before).subquery())
        with self.store.read() as conn:
            return int(conn.execute(query).scalar_one())

    def get(self, reference: str) -> RightsRequest:
        """One request by reference."""
        with self.store.read() as conn:
            return self._load(conn, reference)

    def history(self, reference: str) -> tuple[Change, ...]:
        """Who changed the request, what and when, oldest first (NotFound for no request)."""
        with self.store.read() as conn:
            self._load(conn, reference)
            return tuple(history_of(conn, SCOPE, reference))

    def update(
        self,
        reference: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        note: str | None = None,
        reply: str | None = None,
        now: datetime | None = None,
        actor: str = SYSTEM,
    ) -> RightsRequest:
        """The team's change: a status (extended and denied need a reason), with a `reply` to
        the requester in the status mail, and/or an internal note (never sent to them); one
        history row naming `actor` (a support key's name, `cli:<login>`), in the same
        transaction."""
        now = now or utcnow()
        with self.store.transaction() as conn:
            updated = self._change(
                conn,
                # Locked on PostgreSQL: two notes at once queue instead of one losing the other.
                self._load(conn, reference, lock=True),
                by=actor,
                now=now,
                status=status,
                reason=reason,
                note=note,
                reply=reply,
            )
        log.info("rights request %s updated to %s", reference, updated.status)
        return updated

    def _change(
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
        updated = self._load(conn, request.reference)
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
            self._emit(conn, f"rights_request.{kind}", updated, now, previous_status=request.status)
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
        self.letters.status_change(conn, request, self._status_url(request.reference, status_token))

    def _emit(
        self, conn: Connection, type: str, request: RightsRequest, now: datetime, **more: str
    ) -> None:
        if self.webhooks is not None:
            self.webhooks.emit(conn, type, {**request.event_data(), **more}, now)

    def _load(self, conn: Connection, reference: str, *, lock: bool = False) -> RightsRequest:
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
        return self._from_row(row)

    def _from_row(self, row: Row[Any]) -> RightsRequest:
        return request_from_row(row, self.store.cipher)

    def _status_url(self, reference: str, token: str) -> str:
        return public_link(self.public_url, request_status_path(reference, token))


def _filtered(status: str | None, due_before: date | None) -> Select[Any]:
    """The requests with this status and due before this date (exclusive), where given."""
    query = select(rights_requests)
    if status is not None:
        query = query.where(rights_requests.c.status == status)
    if due_before is not None:
        query = query.where(rights_requests.c.due_at < due_before)
    return query
