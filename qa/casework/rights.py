"""Rights requests: intake, e-mail verification, status, and the privacy team's changes."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Row, Select, func, select, text, update

from index.library import Library
from qa.answering.intents import RIGHT_LABELS, RIGHTS
from qa.casework.deadlines import QUICK_RIGHTS, Deadlines, deadlines, long_date, may_extend
from qa.casework.history import REQUESTER, SYSTEM, Change, Details, history_of, record_change
from qa.casework.shown import Shown, shown_by_ids
from qa.delivery.message import build_message, new_message_id, quoted
from qa.delivery.outbox import Outbox
from qa.delivery.webhooks import Webhooks
from qa.errors import BadTransition, Conflict, LinkNotValid, NoPrivacyMailbox, NotFound, QAError
from qa.ratelimits import Limit
from qa.storage.store import (
    Store,
    email_hash,
    mailbox_hash,
    outbox,
    rights_requests,
    run_idempotent,
    token_hash,
    utcnow,
)

log = logging.getLogger(__name__)

STATUSES = ("received", "verified", "in_progress", "extended", "completed", "denied", "withdrawn")
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
JURISDICTION_LABELS = {
    "gdpr": "EU GDPR",
    "uk_gdpr": "UK GDPR",
    "ccpa": "CCPA (California)",
    "other": "other or not stated",
}
MAX_NOTES = 20_000
MAX_REPLY = 5000
SCOPE: Final = "rights_request"
# The mail a submission sends to the address it names: what the per-mailbox limit counts.
REQUESTER_MAIL = ("verify", "acknowledge")
LIMIT_NOTICE = "mail_limit"
PERIOD_WORDS = {"s": "second", "min": "minute", "h": "hour", "day": "day"}
_NO_HASH = "0" * 64  # compared against when a row has no such token, so timing says nothing
LINK_USED = "This confirmation link has already been used; your request is confirmed."
NOT_FOUND = "no request with this reference and token; use the status link from your e-mail"


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
class Resent:
    """What asking for a new verification link did. `outcome`: sent; confirmed (the address is
    confirmed already); not_needed (this right, or the request's status, needs none); closed
    (the request is withdrawn or declined); limited (the address has had its share of mail)."""

    request: RightsRequest
    outcome: str


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _token_opens(row: Row[Any] | None, token: str | None) -> bool:
    """Whether `token` is the row's status token: the first one or the latest mailed one. Both
    are compared, always, so the time taken says nothing about which (or whether) one is near."""
    given = token_hash(token or "")
    first = row.status_token_hash if row is not None else _NO_HASH
    mailed = (row.mailed_token_hash if row is not None else None) or _NO_HASH
    return bool(hmac.compare_digest(first, given) | hmac.compare_digest(mailed, given))


def _link_opens(row: Row[Any] | None, link: str | None) -> bool:
    """Whether `link` is the row's verification token (expired or not, but not yet replaced)."""
    stored = (row.verify_token_hash if row is not None else None) or _NO_HASH
    return link is not None and hmac.compare_digest(stored, token_hash(link))


def deadline_words(request: RightsRequest) -> str:
    """The request's dates in a sentence the requester can act on."""
    due = long_date(request.due_at)
    if request.confirm_by is not None:
        return (
            f"We will confirm that we have it by {long_date(request.confirm_by)}, and answer it "
            f"by {due}."
        )
    return f"We will answer it by {due}."


def token_matches(row: Row[Any] | None, token: str) -> bool:
    """Whether `token` is the status token of `row` (an escalation's; a rights request also
    opens with its latest mailed token, `_token_opens`)."""
    # Compare a hash even when the reference is unknown, so both answers take as long.
    stored = row.status_token_hash if row is not None else None
    return hmac.compare_digest(stored or _NO_HASH, token_hash(token)) and row is not None


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

    # -- the visitor's side --------------------------------------------------------------

    def submit(
        self, intake: Intake, idempotency_key: str | None = None, now: datetime | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Store a request with its mail in one transaction; 201 and the status URL."""
        if self.privacy_email is None:
            raise NoPrivacyMailbox()
        if intake.right not in RIGHTS:
            raise QAError(f"right: use one of {', '.join(RIGHTS)}", "right")
        when = now or utcnow()
        shown = self._shown(intake.sections)

        def create(conn: Connection) -> tuple[int, dict[str, Any]]:
            return 201, self._create(conn, intake, shown, when)

        return run_idempotent(self.store, SCOPE, idempotency_key, intake.to_dict(), create)

    def _shown(self, ids: tuple[str, ...]) -> Shown:
        if self.library is None:  # a desk built without a policy (tests of the store alone)
            if ids:
                raise QAError(
                    "sections: this desk knows no policy to check them against", "sections"
                )
            return Shown()
        return shown_by_ids(self.library, ids)

    def _create(
        self, conn: Connection, intake: Intake, shown: Shown, now: datetime
    ) -> dict[str, Any]:
        mailbox = mailbox_hash(intake.email)
        may_mail = self._may_mail(conn, mailbox, now)
        seal = self.store.cipher.seal
        reference = self.store.next_reference(conn, "RR", now)
        clock = deadlines(intake.right, intake.jurisdiction, now.date())
        status_token = secrets.token_urlsafe(32)
        needs_verification = intake.right not in NO_VERIFICATION
        # No mail, no link: a request beyond the limit is confirmed by the team, if at all.
        verify_token = secrets.token_urlsafe(32) if needs_verification and may_mail else None
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
        # The link a person follows is the HTML page; scripts read the same status as JSON.
        status_url = self.status_url(reference, status_token)
        api_url = f"{self.public_url}/api/rights-requests/{reference}?token={status_token}"
        if not may_mail:
            self._mail_limit_notice(conn, request, mailbox, now)
        elif verify_token:
            self._mail_verification(conn, request, verify_token, status_url, mailbox)
        else:
            self._mail_acknowledgement(conn, request, status_url, mailbox)
            self._mail_privacy_team(conn, request)
        self._emit(conn, "rights_request.created", request, now)
        log.info("rights request %s received (%s)", reference, intake.right)
        return {
            **request.public_dict(),
            "status_url": status_url,
            "api_url": api_url,
            "mailed": may_mail,
        }

    def _may_mail(self, conn: Connection, mailbox: str, now: datetime) -> bool:
        """Whether a submission may still mail this mailbox in the limit's period, whatever the
        right, the spelling of the address or the client: requests are always recorded, but the
        form must not become a way to flood someone's inbox (or privacy@)."""
        limit = self.mail_limit
        if limit is None or limit.off:
            return True
        if self.store.dialect == "postgresql":
            # Two submissions for one mailbox at once must not both see room for one more.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:a))"), {"a": mailbox})
        return self._mails_since(conn, mailbox, REQUESTER_MAIL, now, limit) < limit.count

    def _mails_since(
        self, conn: Connection, mailbox: str, kinds: tuple[str, ...], now: datetime, limit: Limit
    ) -> int:
        since = now - timedelta(seconds=limit.period)
        return int(
            conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(
                    outbox.c.mailbox_hash == mailbox,
                    outbox.c.kind.in_(kinds),
                    outbox.c.created_at > since,
                )
            ).scalar_one()
        )

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
        opens = _token_opens(row, token) | _link_opens(row, link)
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
            if not self._may_mail(conn, mailbox, now):
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
            status_url = self.status_url(reference, status_token)
            self._mail_verification(conn, request, verify_token, status_url, mailbox)
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
                    f"status: this request is {request.status.replace('_', ' ')} already; only "
                    "an open request can be withdrawn",
                    "status",
                )
            updated = self._change(conn, request, by=REQUESTER, now=now, status="withdrawn")
        log.info("rights request %s withdrawn by the requester", reference)
        return updated

    def status_url(self, reference: str, token: str) -> str:
        """The status page's link (HTML) for a status token."""
        return f"{self.public_url}/rights-requests/{reference}?token={token}"

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
                    f"This request is {row.status.replace('_', ' ')} and needs no confirmation.",
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
            values.update(self._transition(request, status, reason, now))
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
            self._mail_privacy_team(conn, request)
        elif request.status == "withdrawn" and (
            request.verified_at is not None or request.right in NO_VERIFICATION
        ):
            # A request never confirmed never reached the team: nothing to call off.
            self._mail_withdrawal(conn, request, now)

    def _transition(
        self, request: RightsRequest, status: str, reason: str | None, now: datetime
    ) -> dict[str, Any]:
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
            values["reason"] = self.store.cipher.seal(reason)
        if status == "extended":
            if request.extended_at is not None:
                raise BadTransition("status: the request was extended already; once only", "status")
            if not reason:
                raise QAError(
                    "reason: an extension needs a reason the requester will read", "reason"
                )
            why_not = may_extend(request.deadlines, now.date())
            if why_not:
                raise BadTransition(f"status: {why_not}", "status")
            values.update(
                due_at=request.deadlines.extended_due,
                extended_at=now,
                extension_reason=self.store.cipher.seal(reason),
            )
        return values

    # -- rows and mail -------------------------------------------------------------------

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
                f"reference: no rights request {reference!r}; list them with "
                "GET /api/support/rights-requests",
                "reference",
            )
        return self._from_row(row)

    def _from_row(self, row: Row[Any]) -> RightsRequest:
        open_ = self.store.cipher.open
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

    def _send(
        self,
        conn: Connection,
        kind: str,
        reference: str,
        to: str,
        subject: str,
        body: str,
        *,
        to_name: str | None = None,
        reply_to: str | None = None,
        mailbox: str | None = None,
    ) -> None:
        message = build_message(
            sender=self.outbox.sender,
            to=to,
            to_name=to_name,
            reply_to=reply_to,
            subject=subject,
            body=body,
            message_id=new_message_id(self.outbox.sender),
            date=utcnow(),
        )
        self.outbox.enqueue(conn, message, kind, reference, mailbox)

    def _mail_verification(
        self, conn: Connection, request: RightsRequest, token: str, status_url: str, mailbox: str
    ) -> None:
        hours = int(self.verification_ttl.total_seconds() // 3600)
        link = f"{self.public_url}/rights-requests/verify?token={token}"
        body = (
            f"We received your privacy request {request.reference}: "
            f"{RIGHT_LABELS[request.right]}.\n\n"
            f"To confirm that this e-mail address is yours, open this link within {hours} hours:\n"
            f"\n{link}\n\n"
            "The link works once. If it has expired, the page it opens lets you ask for a new "
            "one. If you did not make this request, ignore this e-mail and nothing more will "
            "happen.\n\n"
            f"Once you have confirmed: {deadline_words(request)} The dates count from the day "
            f"we received your request, {long_date(request.received_at)}.\n\n"
            f"See the status of your request at any time:\n{status_url}\n"
        )
        self._send(
            conn,
            "verify",
            request.reference,
            request.email or "",
            f"Please confirm your privacy request {request.reference}",
            body,
            to_name=request.name,
            mailbox=mailbox,
        )

    def _mail_acknowledgement(
        self, conn: Connection, request: RightsRequest, status_url: str, mailbox: str
    ) -> None:
        body = (
            f"We received your privacy request {request.reference}: "
            f"{RIGHT_LABELS[request.right]}.\n\n"
            f"{deadline_words(request)}\n\n"
            f"See the status of your request at any time:\n{status_url}\n"
        )
        self._send(
            conn,
            "acknowledge",
            request.reference,
            request.email or "",
            f"We received your privacy request {request.reference}",
            body,
            to_name=request.name,
            mailbox=mailbox,
        )

    def _mail_limit_notice(
        self, conn: Connection, request: RightsRequest, mailbox: str, now: datetime
    ) -> None:
        """The privacy team's one notice per mailbox and period that requests naming it go
        unmailed; later ones in the period are only recorded (and listed in the support tool)."""
        if self.privacy_email is None:  # requests are refused before this without an address
            raise NoPrivacyMailbox()
        limit = self.mail_limit
        assert limit is not None
        if self._mails_since(conn, mailbox, (LIMIT_NOTICE,), now, limit):
            return
        period = PERIOD_WORDS[limit.per]
        until = (now + timedelta(seconds=limit.period)).isoformat(timespec="minutes")
        unverified = (
            "It needs a confirmed address, and no confirmation link was sent: confirm the "
            "address another way before acting on it (then set its status to verified).\n\n"
            if request.right not in NO_VERIFICATION
            else ""
        )
        body = (
            f"Requests naming one address have reached the mail limit ({limit.count} mails to "
            f"one mailbox a {period}).\n\n"
            f"Reference: {request.reference} (the first beyond the limit)\n"
            f"Right: {request.right} ({RIGHT_LABELS[request.right]})\n"
            f"Answer by: {request.due_at.isoformat()}\n"
            f"E-mail: {request.email}\n\n"
            "It is recorded, without any mail to the address. "
            f"{unverified}"
            f"Until {until} every further request naming this mailbox (in any spelling: case, "
            "+tags, Gmail's dots) is recorded the same way, with no mail to it and none to you: "
            "find them with `privacy-qa requests list --status received` or "
            "GET /api/support/rights-requests?status=received.\n\n"
            "This may be someone flooding that inbox, or a person trying again.\n"
        )
        self._send(
            conn,
            LIMIT_NOTICE,
            request.reference,
            self.privacy_email,
            f"Rights requests beyond the mail limit, from {request.reference}",
            body,
            mailbox=mailbox,
        )

    def _mail_privacy_team(self, conn: Connection, request: RightsRequest) -> None:
        if self.privacy_email is None:  # a request verified after the address was unset
            raise NoPrivacyMailbox()
        confirm = (
            f"Confirm receipt by: {request.confirm_by.isoformat()}\n" if request.confirm_by else ""
        )
        verified = (
            f"E-mail verified: {request.verified_at.isoformat()}\n"
            if request.verified_at
            else "E-mail verified: not needed for this right\n"
        )
        body = (
            f"A rights request has arrived.\n\n"
            f"Reference: {request.reference}\n"
            f"Right: {request.right} ({RIGHT_LABELS[request.right]})\n"
            f"Jurisdiction: {JURISDICTION_LABELS[request.jurisdiction]}\n"
            f"Received: {request.received_at.isoformat()}\n"
            f"{verified}{confirm}"
            f"Answer by: {request.due_at.isoformat()}\n\n"
            # What the requester typed is quoted line by line ("> "), so none of it can pass
            # for one of these lines; a field that is empty (or erased) is left out.
            + (f"Name:\n{quoted(request.name)}\n" if request.name else "")
            + (f"E-mail: {request.email}\n" if request.email else "")
            + f"\nDetails:\n{quoted(request.details)}\n\n"
            f"What they asked the assistant:\n{quoted(request.question, '(nothing recorded)')}\n\n"
            "Reply to this e-mail to write to the requester. Update the status in the support "
            f"tool or with `privacy-qa requests update {request.reference}`.\n"
        )
        self._send(
            conn,
            "privacy_team",
            request.reference,
            self.privacy_email,
            f"Rights request {request.reference}: {request.right} "
            f"({JURISDICTION_LABELS[request.jurisdiction]})",
            body,
            reply_to=request.email,
        )

    def _mail_status_change(self, conn: Connection, request: RightsRequest) -> None:
        # The status token is kept only as a hash, so the link in this mail is a new one; the
        # first link keeps working beside it.
        status_token = secrets.token_urlsafe(32)
        conn.execute(
            update(rights_requests)
            .where(rights_requests.c.reference == request.reference)
            .values(mailed_token_hash=token_hash(status_token))
        )
        lines = [
            f"Your privacy request {request.reference} ({RIGHT_LABELS[request.right]}) "
            f"is now: {request.status.replace('_', ' ')}."
        ]
        if request.status == "extended":
            lines.append(
                f"We need more time and will answer by {long_date(request.due_at)}, "
                f"because: {request.extension_reason}"
            )
        if request.status == "denied":
            lines.append(f"The reason: {request.reason}")
        if request.reply:
            lines.append(f"A message from the privacy team:\n\n{request.reply}")
        lines.append(
            "See the status of your request at any time (this link and the one in our first "
            f"e-mail both work):\n{self.status_url(request.reference, status_token)}"
        )
        self._send(
            conn,
            "status",
            request.reference,
            request.email or "",
            f"Your privacy request {request.reference}: {request.status.replace('_', ' ')}",
            "\n\n".join(lines) + "\n",
            to_name=request.name,
        )

    def _mail_withdrawal(self, conn: Connection, request: RightsRequest, now: datetime) -> None:
        if self.privacy_email is None:  # the address was unset after the request arrived
            raise NoPrivacyMailbox()
        body = (
            "The requester has withdrawn this rights request from its status page.\n\n"
            f"Reference: {request.reference}\n"
            f"Right: {request.right} ({RIGHT_LABELS[request.right]})\n"
            f"Jurisdiction: {JURISDICTION_LABELS[request.jurisdiction]}\n"
            f"Received: {request.received_at.isoformat()}\n"
            f"Withdrawn: {now.isoformat(timespec='minutes')}\n\n"
            "Stop any work under way on it; it is closed and needs no answer. See it with "
            f"`privacy-qa requests show {request.reference}`.\n"
        )
        self._send(
            conn,
            "withdrawn",
            request.reference,
            self.privacy_email,
            f"Rights request {request.reference} withdrawn by the requester",
            body,
        )


def _filtered(status: str | None, due_before: date | None) -> Select[Any]:
    """The requests with this status and due before this date (exclusive), where given."""
    query = select(rights_requests)
    if status is not None:
        query = query.where(rights_requests.c.status == status)
    if due_before is not None:
        query = query.where(rights_requests.c.due_at < due_before)
    return query
