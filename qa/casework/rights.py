"""The rights-request desk: intake, e-mail verification, status, and the privacy team's changes.

Its parts: request.py (the records and their tokens), transitions.py (the status rules),
changes.py (the one path of every change), verification.py (the e-mail links), letters.py (the
mails), mail_limit.py (the per-mailbox mail limit), links.py (the pages the mails link). Every
front end goes through this desk, and none of it knows HTTP.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select

from index.library import Library
from qa.casework.changes import MAX_REPLY as MAX_REPLY
from qa.casework.changes import SCOPE, Changes
from qa.casework.deadlines import deadlines
from qa.casework.history import REQUESTER, SYSTEM, Change, Details, history_of, record_change
from qa.casework.letters import Letters
from qa.casework.links import public_link, request_status_path
from qa.casework.mail_limit import may_mail
from qa.casework.request import Created as Created
from qa.casework.request import Intake as Intake
from qa.casework.request import Resent as Resent
from qa.casework.request import RightsRequest as RightsRequest
from qa.casework.request import authorised_row, load_request, request_from_row
from qa.casework.shown import Shown, shown_by_ids
from qa.casework.transitions import NO_VERIFICATION, WITHDRAWABLE
from qa.casework.verification import Verification
from qa.delivery.outbox import Outbox
from qa.delivery.webhooks import Webhooks
from qa.errors import BadTransition, NoPrivacyMailbox, QAError
from qa.ratelimits import Limit
from qa.storage.cipher import email_hash, mailbox_hash, token_hash
from qa.storage.idempotency import run_idempotent
from qa.storage.schema import rights_requests, utcnow
from qa.storage.store import Store
from qa.vocabulary import RIGHTS, status_words

log = logging.getLogger(__name__)


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
        self.changes = Changes(store, self.letters, webhooks, public_url=self.public_url)
        self.verification = Verification(
            store, self.letters, self.changes, verification_ttl, mail_limit, self.public_url
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
        self.changes.emit(conn, "rights_request.created", request, now)
        log.info("rights request %s received (%s)", reference, intake.right)
        return Created(request.public_dict(), status_token, mailing)

    def status(self, reference: str, token: str) -> RightsRequest:
        """The request if `token` is its status token; the same NotFound for either mistake."""
        with self.store.read() as conn:
            return self._from_row(authorised_row(conn, reference, token))

    def resend_verification(
        self,
        reference: str,
        *,
        token: str | None = None,
        link: str | None = None,
        now: datetime | None = None,
    ) -> Resent:
        """A new verification link for a request still waiting to be confirmed (Verification)."""
        return self.verification.resend(reference, token=token, link=link, now=now)

    def withdraw(self, reference: str, token: str, now: datetime | None = None) -> RightsRequest:
        """The requester withdraws an open request (with its status token); privacy@ is told."""
        now = now or utcnow()
        with self.store.transaction() as conn:
            request = self._from_row(authorised_row(conn, reference, token))
            if request.status not in WITHDRAWABLE:
                raise BadTransition(
                    f"status: this request is {status_words(request.status)} already; only "
                    "an open request can be withdrawn",
                    "status",
                )
            updated = self.changes.change(conn, request, by=REQUESTER, now=now, status="withdrawn")
        log.info("rights request %s withdrawn by the requester", reference)
        return updated

    def verify(self, token: str, now: datetime | None = None) -> RightsRequest:
        """Confirm the requester's e-mail (single use, until expiry); privacy@ gets the request."""
        return self.verification.verify(token, now)

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
            updated = self.changes.change(
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

    def _load(self, conn: Connection, reference: str, *, lock: bool = False) -> RightsRequest:
        return load_request(conn, self.store.cipher, reference, lock=lock)

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
