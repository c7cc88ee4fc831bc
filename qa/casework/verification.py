"""The check that a requester owns the address a request names: the verification link, used
once until it expires, and a new link on request within the mail limit."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from qa.casework.changes import SCOPE, Changes
from qa.casework.history import REQUESTER, Details, record_change
from qa.casework.letters import Letters
from qa.casework.links import public_link, request_status_path
from qa.casework.mail_limit import may_mail
from qa.casework.request import Resent, RightsRequest, authorised_row, request_from_row
from qa.casework.transitions import CLOSED, NO_VERIFICATION
from qa.errors import BadTransition, LinkNotValid
from qa.ratelimits import Limit
from qa.storage.cipher import mailbox_hash, token_hash
from qa.storage.schema import rights_requests, utcnow
from qa.storage.store import Store
from qa.vocabulary import status_words

log = logging.getLogger(__name__)

LINK_USED = "This confirmation link has already been used; your request is confirmed."


class Verification:
    """The verification links of the rights desk."""

    def __init__(
        self,
        store: Store,
        letters: Letters,
        changes: Changes,
        verification_ttl: timedelta,
        mail_limit: Limit | None,
        public_url: str,
    ) -> None:
        self.store = store
        self.letters = letters
        self.changes = changes
        self.verification_ttl = verification_ttl
        self.mail_limit = mail_limit
        self.public_url = public_url

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
                request = self.changes.change(
                    conn,
                    request_from_row(row, self.store.cipher),
                    by=REQUESTER,
                    now=now,
                    status="verified",
                )
            except BadTransition:  # a second click at the same moment confirmed it first
                raise LinkNotValid(LINK_USED, "used") from None
        log.info("rights request %s verified", request.reference)
        return request

    def resend(
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
            request = request_from_row(
                authorised_row(conn, reference, token, link), self.store.cipher
            )
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
            status_url = public_link(self.public_url, request_status_path(reference, status_token))
            self.letters.verification(conn, request, verify_token, status_url, mailbox)
            record_change(conn, SCOPE, reference, REQUESTER, "link_resent", now, Details())
        log.info("rights request %s: verification link sent again", reference)
        return Resent(request, "sent")
