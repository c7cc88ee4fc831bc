"""Rights requests: intake, e-mail verification, status, and the privacy team's changes."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Row, func, select, text, update

from index.library import Library
from qa.deadlines import QUICK_RIGHTS, Deadlines, deadlines, may_extend
from qa.errors import BadTransition, NoPrivacyMailbox, NotFound, QAError
from qa.history import REQUESTER, SYSTEM, Change, Details, history_of, record_change
from qa.intents import RIGHT_LABELS, RIGHTS
from qa.limits import Limit
from qa.mail import build_message, new_message_id, quoted
from qa.outbox import Outbox
from qa.shown import Shown, shown_by_ids
from qa.store import (
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
NO_VERIFICATION = QUICK_RIGHTS
JURISDICTION_LABELS = {
    "gdpr": "EU GDPR",
    "uk_gdpr": "UK GDPR",
    "ccpa": "CCPA (California)",
    "other": "other or not stated",
}
MAX_NOTES = 20_000
SCOPE: Final = "rights_request"
# The mail a submission sends to the address it names: what the per-mailbox limit counts.
REQUESTER_MAIL = ("verify", "acknowledge")
LIMIT_NOTICE = "mail_limit"
PERIOD_WORDS = {"s": "second", "min": "minute", "h": "hour", "day": "day"}


class LinkNotValid(QAError):
    """A verification link that is unknown, already used or expired (`reason` says which)."""

    code = "link_not_valid"
    status = 404

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, "token")
        self.reason = reason
        self.status = 404 if reason == "unknown" else 410


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
            "closed_at": _iso(self.closed_at),
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


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def token_matches(row: Row[Any] | None, token: str) -> bool:
    """Whether `token` is the status token of `row` (a request's or an escalation's)."""
    # Compare a hash even when the reference is unknown, so both answers take as long.
    stored = row.status_token_hash if row is not None else None
    return hmac.compare_digest(stored or "0" * 64, token_hash(token)) and row is not None


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
        library: Library | None = None,
    ) -> None:
        self.library = library  # the policy whose section ids a request may name
        self.store = store
        self.outbox = outbox
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
        status_url = f"{self.public_url}/rights-requests/{reference}?token={status_token}"
        api_url = f"{self.public_url}/api/rights-requests/{reference}?token={status_token}"
        if not may_mail:
            self._mail_limit_notice(conn, request, mailbox, now)
        elif verify_token:
            self._mail_verification(conn, request, verify_token, status_url, mailbox)
        else:
            self._mail_acknowledgement(conn, request, status_url, mailbox)
            self._mail_privacy_team(conn, request)
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
            row = conn.execute(
                select(rights_requests).where(rights_requests.c.reference == reference)
            ).first()
        if not token_matches(row, token) or row is None or row.erased_at:
            raise NotFound(
                "no request with this reference and token; use the status link from your e-mail",
                "token",
            )
        return self._from_row(row)

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
                raise LinkNotValid(
                    "This confirmation link has already been used; your request is confirmed.",
                    "used",
                )
            if row.status != "received":
                raise LinkNotValid(
                    f"This request is {row.status.replace('_', ' ')} and needs no confirmation.",
                    "used",
                )
            if row.verify_expires_at is None or now > row.verify_expires_at:
                raise LinkNotValid(
                    "This confirmation link has expired. Please make the request again.",
                    "expired",
                )
            conn.execute(
                update(rights_requests)
                .where(rights_requests.c.id == row.id, rights_requests.c.status == "received")
                .values(status="verified", verified_at=now, updated_at=now)
            )
            record_change(
                conn,
                SCOPE,
                row.reference,
                REQUESTER,
                "verified",
                now,
                Details(old_status="received", new_status="verified"),
            )
            request = self._load(conn, row.reference)
            self._mail_privacy_team(conn, request)
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
        query = select(rights_requests)
        if status is not None:
            query = query.where(rights_requests.c.status == status)
        if due_before is not None:
            query = query.where(rights_requests.c.due_at < due_before)
        query = query.order_by(rights_requests.c.due_at, rights_requests.c.id)
        with self.store.read() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [self._from_row(r) for r in rows]

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
        now: datetime | None = None,
        actor: str = SYSTEM,
    ) -> RightsRequest:
        """Change status (extended and denied need a reason) and/or add a note; one history
        row, naming `actor`, in the same transaction."""
        now = now or utcnow()
        with self.store.transaction() as conn:
            request = self._load(conn, reference, lock=True)
            values: dict[str, Any] = {"updated_at": now}
            if status is not None and status != request.status:
                values.update(self._transition(request, status, reason, now))
            elif reason is not None and status is None:
                raise QAError("reason: give it with a status of extended or denied", "reason")
            if note:
                values["notes"] = self.store.cipher.seal(append_note(request.notes, note, now))
            conn.execute(
                update(rights_requests)
                .where(rights_requests.c.reference == reference)
                .values(**values)
            )
            updated = self._load(conn, reference)
            changed = "status" in values
            if changed or note:  # a status it has already, and no note: nothing changed
                record_change(
                    conn,
                    SCOPE,
                    reference,
                    actor,
                    "status_changed" if changed else "note_added",
                    now,
                    Details(
                        old_status=request.status if changed else None,
                        new_status=updated.status if changed else None,
                        note_added=bool(note),
                        reason_given=changed and reason is not None,
                    ),
                )
            if changed and updated.email:
                self._mail_status_change(conn, updated)
        log.info("rights request %s updated to %s", reference, updated.status)
        return updated

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

    def _load(self, conn: Connection, reference: str, *, lock: bool = False) -> RightsRequest:
        query = select(rights_requests).where(rights_requests.c.reference == reference)
        # An update reads, then writes (notes, the transition, the history's old status): on
        # PostgreSQL the row is locked so that two updates at once queue instead of losing one.
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
            "The link works once. If you did not make this request, ignore this e-mail and "
            "nothing more will happen.\n\n"
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
            f"We will act on it by {request.due_at.isoformat()}.\n\n"
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
        lines = [
            f"Your privacy request {request.reference} ({RIGHT_LABELS[request.right]}) "
            f"is now: {request.status.replace('_', ' ')}."
        ]
        if request.status == "extended":
            lines.append(
                f"We need more time and will answer by {request.due_at.isoformat()}, "
                f"because: {request.extension_reason}"
            )
        if request.status == "denied":
            lines.append(f"The reason: {request.reason}")
        self._send(
            conn,
            "status",
            request.reference,
            request.email or "",
            f"Your privacy request {request.reference}: {request.status.replace('_', ' ')}",
            "\n\n".join(lines) + "\n",
            to_name=request.name,
        )
