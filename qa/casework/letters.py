"""The rights desk's mail: the words of each letter, built and queued in the caller's
transaction (so a request and its mail are stored together or not at all)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from qa.casework.deadlines import long_date, promise
from qa.casework.links import public_link, verify_path
from qa.casework.mail_limit import LIMIT_NOTICE, PERIOD_WORDS, mails_since
from qa.casework.request import RightsRequest
from qa.casework.transitions import NO_VERIFICATION
from qa.delivery.message import build_message, new_message_id, quoted
from qa.delivery.outbox import Outbox
from qa.errors import NoPrivacyMailbox
from qa.ratelimits import Limit
from qa.storage.schema import utcnow
from qa.vocabulary import JURISDICTION_LABELS, RIGHT_LABELS, status_words


def send(
    outbox: Outbox,
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
    date: datetime | None = None,
) -> None:
    """Build a mail and queue it in the caller's transaction (`mailbox`: what the mail limit
    counts it against)."""
    message = build_message(
        sender=outbox.sender,
        to=to,
        to_name=to_name,
        reply_to=reply_to,
        subject=subject,
        body=body,
        message_id=new_message_id(outbox.sender),
        date=date or utcnow(),
    )
    outbox.enqueue(conn, message, kind, reference, mailbox)


class Letters:
    """The mails of a rights request: to the requester and to privacy@."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        public_url: str,
        privacy_email: str | None,
        verification_ttl: timedelta,
        mail_limit: Limit | None,
    ) -> None:
        self.outbox = outbox
        self.public_url = public_url.rstrip("/")
        self.privacy_email = privacy_email
        self.verification_ttl = verification_ttl
        self.mail_limit = mail_limit

    def verification(
        self, conn: Connection, request: RightsRequest, token: str, status_url: str, mailbox: str
    ) -> None:
        hours = int(self.verification_ttl.total_seconds() // 3600)
        link = public_link(self.public_url, verify_path(token))
        body = (
            f"We received your privacy request {request.reference}: "
            f"{RIGHT_LABELS[request.right]}.\n\n"
            f"To confirm that this e-mail address is yours, open this link within {hours} hours:\n"
            f"\n{link}\n\n"
            "The link works once. If it has expired, the page it opens lets you ask for a new "
            "one. If you did not make this request, ignore this e-mail and nothing more will "
            "happen.\n\n"
            f"Once you have confirmed: {promise(request.confirm_by, request.due_at)} The dates "
            f"count from the day we received your request, {long_date(request.received_at)}.\n\n"
            f"See the status of your request at any time:\n{status_url}\n"
        )
        send(
            self.outbox,
            conn,
            "verify",
            request.reference,
            request.email or "",
            f"Please confirm your privacy request {request.reference}",
            body,
            to_name=request.name,
            mailbox=mailbox,
        )

    def acknowledgement(
        self, conn: Connection, request: RightsRequest, status_url: str, mailbox: str
    ) -> None:
        body = (
            f"We received your privacy request {request.reference}: "
            f"{RIGHT_LABELS[request.right]}.\n\n"
            f"{promise(request.confirm_by, request.due_at)}\n\n"
            f"See the status of your request at any time:\n{status_url}\n"
        )
        send(
            self.outbox,
            conn,
            "acknowledge",
            request.reference,
            request.email or "",
            f"We received your privacy request {request.reference}",
            body,
            to_name=request.name,
            mailbox=mailbox,
        )

    def limit_notice(
        self, conn: Connection, request: RightsRequest, mailbox: str, now: datetime
    ) -> None:
        """The privacy team's one notice per mailbox and period that requests naming it go
        unmailed; later ones in the period are only recorded (and listed in the support tool)."""
        if self.privacy_email is None:  # requests are refused before this without an address
            raise NoPrivacyMailbox()
        limit = self.mail_limit
        assert limit is not None
        if mails_since(conn, mailbox, (LIMIT_NOTICE,), now, limit):
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
            "find them with `privacy-qa requests list --status received` or among the received "
            "requests in the support tool.\n\n"
            "This may be someone flooding that inbox, or a person trying again.\n"
        )
        send(
            self.outbox,
            conn,
            LIMIT_NOTICE,
            request.reference,
            self.privacy_email,
            f"Rights requests beyond the mail limit, from {request.reference}",
            body,
            mailbox=mailbox,
        )

    def privacy_team(self, conn: Connection, request: RightsRequest) -> None:
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
        send(
            self.outbox,
            conn,
            "privacy_team",
            request.reference,
            self.privacy_email,
            f"Rights request {request.reference}: {request.right} "
            f"({JURISDICTION_LABELS[request.jurisdiction]})",
            body,
            reply_to=request.email,
        )

    def status_change(self, conn: Connection, request: RightsRequest, status_url: str) -> None:
        """The requester's mail of a new status, with the team's reply if any; `status_url`
        holds a new status token (the first one is kept only as a hash)."""
        lines = [
            f"Your privacy request {request.reference} ({RIGHT_LABELS[request.right]}) "
            f"is now: {status_words(request.status)}."
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
            f"e-mail both work):\n{status_url}"
        )
        send(
            self.outbox,
            conn,
            "status",
            request.reference,
            request.email or "",
            f"Your privacy request {request.reference}: {status_words(request.status)}",
            "\n\n".join(lines) + "\n",
            to_name=request.name,
        )

    def withdrawal(self, conn: Connection, request: RightsRequest, now: datetime) -> None:
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
        send(
            self.outbox,
            conn,
            "withdrawn",
            request.reference,
            self.privacy_email,
            f"Rights request {request.reference} withdrawn by the requester",
            body,
        )
