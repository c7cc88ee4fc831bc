"""What an endpoint's answer asks of the sender (Standard Webhooks' status handling): 410 Gone
ends its deliveries, a Retry-After holds the next try back; and a secret being rotated out
still verifies the events while a receiver holds it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from qa.answering.assistant import Assistant
from qa.delivery.webhooks import retry_after
from tests.delivery.test_webhooks import deliveries, hook_settings
from tests.support.casework import MailSink, wait_for
from tests.support.receiver import receiving
from web.app import create_app

OLD_SECRET = "whsec_" + base64.b64encode(b"the secret before the rotation..").decode()
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
QUESTION = {"question": "who are your processors?"}


def desk_for(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant, url: str, **more: Any
) -> TestClient:
    """The real app, with webhooks to `url` (quick retries: see hook_settings)."""
    settings = hook_settings(tmp_path, database_url, smtp, url, **more)
    return TestClient(create_app(settings, assistant=assistant))


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Thu, 03 Dec 2026 12:30:00 GMT", timedelta(minutes=30)),
        ("Thu, 03 Dec 2026 11:00:00 GMT", timedelta(0)),  # past: no wait beyond the back-off
        ("99999999999999999", timedelta(days=3650)),  # no overflow: the longest wait
        ("Fri, 31 Dec 9999 23:59:59 GMT", timedelta(days=3650)),
        ("²", None),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_a_retry_after_header_is_read_as_seconds_or_an_http_date(
    header: str | None, wait: timedelta | None
) -> None:
    assert retry_after(header, now=NOW) == wait


def test_an_endpoint_answering_410_gets_no_retry_of_any_of_its_events(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    with (
        receiving(status=410) as gone,
        desk_for(tmp_path, database_url, smtp, assistant, gone.url) as desk,
    ):
        for n in range(3):
            desk.post("/api/escalations", json={"question": f"who are your processors? {n}"})
        wait_for(
            lambda: [row.status for row in deliveries(desk)] == ["refused"] * 3,
            what="three deliveries refused",
        )
        rows = deliveries(desk)
        # The mail to the privacy team is not a webhook: it went as ever.
        smtp.wait(3, kind="Question for the privacy team")
    ids = [hit.webhook_id for hit in gone.hits]
    assert 1 <= len(ids) <= 3 and len(set(ids)) == len(ids), "an event was tried again"
    for row in rows:
        assert row.last_error.startswith("HTTP 410") and "PRIVACY_QA_WEBHOOK_URL" in row.last_error
        assert row.raw is None and row.recipient is None  # nothing kept to send


def test_an_endpoint_asking_to_wait_with_retry_after_is_not_tried_before_then(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    wait = {"retry-after": "3600"}
    # A retry delay of 0.05 s (hook_settings): without the header, the next try comes at once.
    with (
        receiving(fail_first=1, fail_status=429, fail_headers=wait) as busy,
        desk_for(tmp_path, database_url, smtp, assistant, busy.url) as desk,
    ):
        desk.post("/api/escalations", json=QUESTION)
        wait_for(lambda: deliveries(desk)[0].attempts == 1, what="the first try")
        row = deliveries(desk)[0]
    assert (row.status, row.last_error) == ("pending", "HTTP 429")
    tried = busy.hits[0]
    assert tried.status == 429
    held = row.next_attempt_at.replace(tzinfo=UTC) - row.created_at.replace(tzinfo=UTC)
    assert timedelta(minutes=59) < held <= timedelta(hours=1, minutes=1)


def test_events_are_signed_with_the_secret_and_the_one_being_rotated_out(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    with receiving() as receiver:
        old = (OLD_SECRET,)
        with desk_for(
            tmp_path, database_url, smtp, assistant, receiver.url, webhook_old_secrets=old
        ) as desk:
            desk.post("/api/escalations", json=QUESTION)
            hit = receiver.wait(1)[0]
    assert len(hit.headers["webhook-signature"].split(" ")) == 2
    assert hit.event["type"] == "escalation.created"  # verified with the new secret
    verified = Webhook(OLD_SECRET).verify(hit.body, hit.headers)  # and with the old one
    assert verified["type"] == "escalation.created"
    other = "whsec_" + base64.b64encode(b"a secret nobody was ever given!!").decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(hit.body, hit.headers)
