"""Webhooks for the support tool: each event, signed per Standard Webhooks, to every endpoint.

An event is written to the outbox (channel `webhook`) in the transaction of the change it tells
of, one row per endpoint, so it goes out if and only if the change commits, and a crash between
the commit and the POST only delays it. The outbox's machinery delivers it: a lease per claim,
back-off that doubles up to an hour, tries until the endpoint answers 2xx (at least once). The
row keeps the event's `webhook-id` for life, so every retry carries the same id and a receiver
that saw it already can drop the copy. The body holds the reference and fields that name no one
(right, jurisdiction, status, due date): the tool fetches the rest through the support API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2
import orjson
from sqlalchemy import Connection

from qa.delivery.outbox import Outbox
from qa.delivery.transports import Failure, OutgoingMail
from qa.settings import WEBHOOK_SECRET_PREFIX, Settings
from qa.storage.schema import utcnow
from qa.storage.store import Store

log = logging.getLogger(__name__)

CHANNEL = "webhook"
EVENTS = frozenset(
    {
        "rights_request.created",
        "rights_request.verified",
        "rights_request.status_changed",
        "escalation.created",
        "escalation.replied",
        "reminder.due",
    }
)
USER_AGENT = "privacy-qa-webhooks"
LONGEST_WAIT = timedelta(days=3650)  # what a Retry-After is read as at most (the outbox caps lower)


def new_webhook_id() -> str:
    """An event's webhook-id: `msg_` and 32 hex digits (no `.`, which the signed text uses)."""
    return "msg_" + uuid.uuid4().hex


def endpoint_key(url: str) -> str:
    """A short stable name of an endpoint, to make (event, endpoint) rows unique."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def webhook_id_of(message_id: str) -> str:
    """The webhook-id of a delivery row (its message_id is `webhook-id:endpoint`)."""
    return message_id.partition(":")[0]


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: v1, and the base64 HMAC-SHA256 of id.timestamp.body
    keyed with the bytes the whsec_ secret encodes."""
    key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_after(value: str | None, now: datetime | None = None) -> timedelta | None:
    """A Retry-After header's wait: seconds, or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Read from a receiver: a number no timedelta holds is the longest wait, not an error.
        return LONGEST_WAIT if len(value) > 9 else min(timedelta(seconds=int(value)), LONGEST_WAIT)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return min(max(when - (now or utcnow()), timedelta(0)), LONGEST_WAIT)


def refusal_of(status: int, after: str | None) -> Failure:
    """The Failure an endpoint's non-2xx answer is (Standard Webhooks' status handling): 410 Gone
    ends the delivery, a Retry-After sets the earliest next try, the rest back off as usual."""
    if status == 410:
        return Failure(
            "HTTP 410: the endpoint is gone; remove it from PRIVACY_QA_WEBHOOK_URL", final=True
        )
    return Failure(f"HTTP {status}", after=retry_after(after))


class WebhookTransport:
    """POSTs each delivery to its endpoint (httpx, in the sender's thread); 2xx is delivered.
    Each event is signed with `secret` and with every one of `old_secrets` (a rotation: a
    receiver that holds either verifies it)."""

    def __init__(self, secret: str, timeout: float = 15.0, old_secrets: Sequence[str] = ()) -> None:
        self.secret = secret
        self.old_secrets = tuple(old_secrets)
        self.timeout = timeout

    @property
    def lease(self) -> timedelta:
        """What a claim must cover: a round (`round_seconds`), then the last POST's connect,
        write and read, each bounded by the timeout, and a margin."""
        return timedelta(seconds=self.round_seconds + 4 * self.timeout)

    @property
    def round_seconds(self) -> float:
        """No new POST is started after this long in one round: the lease, which a crashed
        sender's rows wait out, can then be a few timeouts rather than minutes."""
        return 2 * self.timeout

    def send(self, sender: str, mails: Sequence[OutgoingMail]) -> dict[int, str | None]:
        """Deliver each row; an endpoint that timed out or refused is not tried again this
        round, so one hung endpoint costs one timeout per round, not one per event. Rows left
        when the round's time is up are left out of the answer (released, not failed)."""
        if not self.secret:  # rows queued before the secret was unset wait for it
            return {mail.id: "PRIVACY_QA_WEBHOOK_SECRET not set" for mail in mails}
        results: dict[int, str | None] = {}
        broken: dict[str, Failure] = {}
        ends = time.monotonic() + self.round_seconds
        with httpx2.Client(timeout=self.timeout, follow_redirects=False) as client:
            for mail in mails:
                if results and time.monotonic() > ends:
                    break
                url = mail.recipient
                if url in broken:
                    results[mail.id] = broken[url]
                    continue
                results[mail.id] = error = self._post(client, url, mail)
                if error is not None and (
                    not error.startswith("HTTP ") or error.final or error.after is not None
                ):
                    # Down, gone, or asking us to wait: its other rows wait for the next round
                    # (or are refused with it), with no POST each.
                    broken[url] = error
        return results

    def signature(self, webhook_id: str, stamp: int, body: bytes) -> str:
        """The webhook-signature header: one signature per secret, space-separated."""
        return " ".join(
            sign(secret, webhook_id, stamp, body) for secret in (self.secret, *self.old_secrets)
        )

    def _post(self, client: httpx2.Client, url: str, mail: OutgoingMail) -> Failure | None:
        webhook_id = webhook_id_of(mail.message_id)
        # The attempt's time, not the event's: a receiver rejects old timestamps (replays).
        stamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": webhook_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": self.signature(webhook_id, stamp, mail.raw),
        }
        try:
            # Streamed: only the status is needed, never the receiver's body.
            with client.stream("POST", url, content=mail.raw, headers=headers) as response:
                status = response.status_code
                after = response.headers.get("retry-after")
        except (httpx2.HTTPError, httpx2.InvalidURL, OSError) as exc:
            # The class name only: a message may quote the URL, which may hold a token.
            return Failure(type(exc).__name__)
        # A redirect is a failure too (Standard Webhooks): the URL should be updated instead.
        return None if 200 <= status < 300 else refusal_of(status, after)

    def discard(self, message_ids: Sequence[str]) -> int:
        """Nothing kept here to delete."""
        return 0


class Webhooks:
    """The events of the casework, queued for every configured endpoint; `outbox` delivers."""

    def __init__(
        self,
        store: Store,
        urls: Sequence[str],
        secret: str,
        *,
        timeout: float = 15.0,
        retry_seconds: float = 5.0,
        old_secrets: Sequence[str] = (),
    ) -> None:
        self.urls = tuple(urls)
        transport = WebhookTransport(secret, timeout, old_secrets)
        self.outbox = Outbox(
            store,
            transport,
            USER_AGENT,
            retry_seconds=retry_seconds,
            channel=CHANNEL,
            lease=transport.lease,
        )

    def emit(
        self,
        conn: Connection,
        type: str,
        data: dict[str, Any],
        now: datetime | None = None,
        *,
        reference: str | None = None,
    ) -> str | None:
        """Queue event `type` with `data` (no personal data: a reference and plain fields) in
        the caller's transaction, for every endpoint; its webhook-id, or None with no endpoint.
        `reference` (what `privacy-qa outbox` lists, 20 characters at most) defaults to
        data["reference"]; an event about no one record (reminder.due) gives one, e.g. a day."""
        if type not in EVENTS:
            raise ValueError(f"webhook event {type!r}: use one of {', '.join(sorted(EVENTS))}")
        if not self.urls:
            return None
        reference = reference or str(data["reference"])
        when = now or utcnow()
        body = orjson.dumps({"type": type, "timestamp": when.isoformat(), "data": data})
        webhook_id = new_webhook_id()
        for url in self.urls:
            self.outbox.add(
                conn,
                f"{webhook_id}:{endpoint_key(url)}",
                type,
                reference,
                url,
                body.decode(),
            )
        return webhook_id


def webhooks_for(settings: Settings, store: Store) -> Webhooks:
    """The webhooks the settings configure (none when PRIVACY_QA_WEBHOOK_URL is unset)."""
    return Webhooks(
        store,
        settings.webhook_url,
        settings.webhook_secret,
        timeout=settings.webhook_timeout_seconds,
        retry_seconds=settings.webhook_retry_seconds,
        old_secrets=settings.webhook_old_secrets,
    )
