"""Webhooks: every event signed and delivered once to a real receiver; a failing and a hanging
receiver get it on retry with the same webhook-id; two endpoints; settings; no URL, no rows."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from qa.answering.assistant import Assistant
from qa.casework.desk import Casework
from qa.casework.reminders import reminders_for
from qa.casework.rights import Intake
from qa.cli.main import main
from qa.delivery.webhooks import sign, webhook_id_of
from qa.errors import SettingsError
from qa.settings import Settings
from qa.storage.schema import outbox
from tests.support.casework import (
    API_KEY,
    MailSink,
    casework_settings,
    link_in,
    rights_body,
    wait_for,
)
from tests.support.receiver import SECRET, Receiver, receiving
from tests.support.servers import (
    KEY,
    Reply,
    Server,
    Submission,
    call,
    post,
    submissions,
    submit_all,
)
from tests.web.test_metrics import TOKEN, label, scrape
from web.app import create_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}
PERSONAL = ("ana@example.com", "Ana Lima", "Customer number 4411", "please delete my data")


def hook_settings(
    tmp_path: Path, database_url: str, smtp: MailSink, *urls: str, **more: Any
) -> Settings:
    """Casework settings with webhooks to `urls`, quick retries and a short timeout."""
    values: dict[str, Any] = {
        "webhook_url": urls,
        "webhook_secret": SECRET,
        "webhook_timeout_seconds": 1.0,
        "webhook_retry_seconds": 0.05,
    }
    values.update(more)
    return casework_settings(tmp_path, database_url, smtp, **values)


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    """A receiver that answers 204 to everything."""
    with receiving() as started:
        yield started


@pytest.fixture()
def hooked(
    tmp_path: Path, database_url: str, smtp: MailSink, receiver: Receiver, assistant: Assistant
) -> Iterator[TestClient]:
    """The real app, with webhooks to the receiver."""
    settings = hook_settings(tmp_path, database_url, smtp, receiver.url)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def casework_of(desk: TestClient) -> Casework:
    """The running app's casework desk."""
    casework: Casework = cast(FastAPI, desk.app).state.services.casework
    return casework


def deliveries(desk: TestClient) -> list[Any]:
    """Every webhook row of the outbox."""
    with casework_of(desk).store.read() as conn:
        return list(conn.execute(sa.select(outbox).where(outbox.c.channel == "webhook")).all())


def test_every_event_arrives_once_signed_and_names_no_one(
    hooked: TestClient, receiver: Receiver, smtp: MailSink
) -> None:
    created = hooked.post("/api/rights-requests", json=rights_body()).json()
    reference = created["reference"]
    verification = smtp.wait(1, to="ana@example.com")[0]
    assert hooked.get(link_in(verification, "/rights-requests/verify")).status_code == 200
    changed = hooked.patch(
        f"/api/support/rights-requests/{reference}", json={"status": "in_progress"}, headers=AUTH
    )
    assert changed.status_code == 200
    escalation = hooked.post("/api/escalations", json={"question": "who are your processors?"})
    # The two events other parts of the casework emit, through the one function they call.
    casework = casework_of(hooked)
    with casework.store.transaction() as conn:
        casework.webhooks.emit(conn, "escalation.replied", {"reference": "ESC-2026-000001"})
        casework.webhooks.emit(
            conn, "reminder.due", {"overdue": 0, "due_soon": 1}, reference="2026-12-03"
        )
    # No wake-up call: each outbox wakes its sender once the transaction commits.

    hits = receiver.wait(6)
    events = [hit.event for hit in hits]  # each verified by the standardwebhooks library
    assert Counter(e["type"] for e in events) == {
        "rights_request.created": 1,
        "rights_request.verified": 1,
        "rights_request.status_changed": 1,
        "escalation.created": 1,
        "escalation.replied": 1,
        "reminder.due": 1,
    }
    by_type = {e["type"]: e for e in events}
    due = created["due_at"]
    assert by_type["rights_request.created"]["data"] == {
        "reference": reference,
        "right": "erasure",
        "jurisdiction": "gdpr",
        "status": "received",
        "due_at": due,
    }
    assert by_type["rights_request.verified"]["data"]["previous_status"] == "received"
    assert by_type["rights_request.status_changed"]["data"] == {
        "reference": reference,
        "right": "erasure",
        "jurisdiction": "gdpr",
        "status": "in_progress",
        "due_at": due,
        "previous_status": "verified",
    }
    assert by_type["escalation.created"]["data"] == {"reference": escalation.json()["reference"]}
    for event in events:
        assert set(event) == {"type", "timestamp", "data"}
        assert datetime.fromisoformat(event["timestamp"]).utcoffset() is not None
    assert len({hit.webhook_id for hit in hits}) == 6
    for hit in hits:
        assert hit.webhook_id.startswith("msg_") and "." not in hit.webhook_id
        assert hit.headers["content-type"] == "application/json"
        assert hit.path == "/hooks/privacy"
        assert not any(word.encode() in hit.body for word in PERSONAL)
    wait_for(lambda: all(row.status == "sent" for row in deliveries(hooked)), what="all marked")
    assert len(receiver.hits) == 6  # nothing sent twice


def test_the_days_digest_sends_one_reminder_due_naming_references_only(
    tmp_path: Path, database_url: str, smtp: MailSink, receiver: Receiver, assistant: Assistant
) -> None:
    # The server's own daily check is off (it would send today's digest at start-up); the
    # test sends the digest of a day of its choosing.
    settings = hook_settings(tmp_path, database_url, smtp, receiver.url, reminder_days=0)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        one_reminder_due_for_the_day(client, receiver)


def one_reminder_due_for_the_day(hooked: TestClient, receiver: Receiver) -> None:
    """The digest of an overdue request's day: one reminder.due, references and dates only."""
    casework = casework_of(hooked)
    received = datetime(2026, 2, 10, 12, tzinfo=UTC)
    intake = Intake("access", "gdpr", "Ana Lima", "ana@example.com", "Customer number 4411")
    created = casework.rights.submit(intake, now=received)
    reminders = reminders_for(casework, Settings())  # the default window: 7 days
    day = date(2026, 3, 16)  # the request is overdue
    assert reminders.send(day) is not None
    assert reminders.send(day) is None  # the day's digest is queued already: no second event

    due = [hit for hit in receiver.wait(2) if hit.event["type"] == "reminder.due"]
    assert len(due) == 1
    data = due[0].event["data"]
    assert data["day"] == "2026-03-16"
    assert [item["reference"] for item in data["overdue"]] == [created.reference]
    assert not any(word.encode() in due[0].body for word in PERSONAL)


def test_a_signature_made_with_another_secret_or_body_does_not_verify(
    hooked: TestClient, receiver: Receiver
) -> None:
    hooked.post("/api/escalations", json={"question": "who are your processors?"})
    hit = receiver.wait(1)[0]
    assert hit.event["type"] == "escalation.created"
    # Our own signer agrees with the library's, and a changed byte or secret fails.
    stamp = int(hit.headers["webhook-timestamp"])
    assert sign(SECRET, hit.webhook_id, stamp, hit.body) == hit.headers["webhook-signature"]
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(SECRET).verify(hit.body.replace(b"ESC", b"ESD"), hit.headers)
    other = "whsec_" + "A" * 44
    assert sign(other, hit.webhook_id, stamp, hit.body) != hit.headers["webhook-signature"]


def test_a_receiver_failing_the_first_tries_gets_the_event_with_the_same_webhook_id(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    with receiving(fail_first=3) as failing:
        settings = hook_settings(tmp_path, database_url, smtp, failing.url)
        with TestClient(create_app(settings, assistant=assistant)) as desk:
            desk.post("/api/escalations", json={"question": "who are your processors?"})
            delivered = failing.wait(1)
            wait_for(lambda: deliveries(desk)[0].status == "sent", what="the mark")
            row = deliveries(desk)[0]
    assert [hit.status for hit in failing.hits] == [500, 500, 500, 204]
    assert {hit.webhook_id for hit in failing.hits} == {delivered[0].webhook_id}
    assert all(hit.event["type"] == "escalation.created" for hit in failing.hits)
    assert (row.attempts, row.last_error) == (3, "HTTP 500")
    print(f"\nfailing receiver: 1 event, {len(failing.hits)} tries, delivered 1, lost 0")


def test_a_hanging_receiver_times_out_and_gets_the_event_on_retry_without_holding_up_mail(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    with receiving(hang=True) as hanging:
        settings = hook_settings(
            tmp_path, database_url, smtp, hanging.url, webhook_timeout_seconds=0.5
        )
        with TestClient(create_app(settings, assistant=assistant)) as desk:
            desk.post("/api/escalations", json={"question": "who are your processors?"})
            wait_for(lambda: deliveries(desk)[0].attempts >= 2, what="two tries to time out")
            row = deliveries(desk)[0]
            assert (row.status, row.last_error) == ("pending", "ReadTimeout")
            # The mail went meanwhile: webhooks have a sending loop of their own.
            smtp.wait(1, kind="Question for the privacy team")
            hanging.hang = False
            delivered = hanging.wait(1)
            wait_for(lambda: deliveries(desk)[0].status == "sent", what="the mark")
    held = [hit for hit in hanging.hits if hit.status == 0]
    assert len(held) >= 2
    assert {hit.webhook_id for hit in hanging.hits} == {delivered[0].webhook_id}
    assert len(delivered) == 1
    print(f"\nhanging receiver: 1 event, {len(held)} tries timed out, then delivered 1, lost 0")


def test_two_endpoints_each_get_each_event_once_under_one_webhook_id(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    with receiving() as first, receiving() as second:
        settings = hook_settings(tmp_path, database_url, smtp, first.url, second.url)
        with TestClient(create_app(settings, assistant=assistant)) as desk:
            desk.post("/api/rights-requests", json=rights_body(right="opt_out"))
            desk.post("/api/escalations", json={"question": "who are your processors?"})
            one, two = first.wait(2), second.wait(2)
            assert len(deliveries(desk)) == 4  # one row per (event, endpoint)
    assert (
        sorted(first.types())
        == sorted(second.types())
        == [
            "escalation.created",
            "rights_request.created",
        ]
    )
    assert {h.webhook_id for h in one} == {h.webhook_id for h in two}
    assert len(first.hits) == len(second.hits) == 2


def test_without_a_url_no_webhook_rows_are_written(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(tmp_path, database_url, smtp)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        assert desk.post("/api/rights-requests", json=rights_body()).status_code == 201
        assert desk.post("/api/escalations", json={"question": "who?"}).status_code == 201
        assert deliveries(desk) == []


def test_an_event_is_kept_only_if_its_change_commits(hooked: TestClient) -> None:
    casework = casework_of(hooked)
    with pytest.raises(RuntimeError), casework.store.transaction() as conn:
        casework.webhooks.emit(conn, "escalation.replied", {"reference": "ESC-2026-000009"})
        raise RuntimeError("the change failed")
    assert deliveries(hooked) == []
    with casework.store.transaction() as conn, pytest.raises(ValueError, match="use one of"):
        casework.webhooks.emit(conn, "escalation.answered", {"reference": "ESC-2026-000009"})


def test_erasure_leaves_pending_webhooks_to_go(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    down = Receiver()  # not started: every POST is refused
    settings = hook_settings(tmp_path, database_url, smtp, down.url)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        desk.post("/api/rights-requests", json=rights_body())
        wait_for(lambda: deliveries(desk)[0].attempts >= 1, what="a refused try")
        assert deliveries(desk)[0].last_error == "ConnectError"
        erased = desk.post("/api/support/erase", json={"email": "ana@example.com"}, headers=AUTH)
        assert erased.status_code == 200
        row = deliveries(desk)[0]
        assert row.status == "pending" and row.raw is not None
        down.start()
        try:
            assert down.wait(1)[0].event["type"] == "rights_request.created"
        finally:
            down.stop()


def test_outbox_command_lists_pending_webhook_deliveries(
    tmp_path: Path,
    smtp: MailSink,
    assistant: Assistant,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    down = Receiver()
    settings = hook_settings(tmp_path, f"sqlite:///{tmp_path / 'cli.sqlite3'}", smtp, down.url)
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        reference = desk.post("/api/escalations", json={"question": "who?"}).json()["reference"]
        wait_for(lambda: deliveries(desk)[0].attempts >= 1, what="a refused try")
    assert main(["outbox"]) == 0
    out = capsys.readouterr().out
    assert "0 mail(s) pending, 1 webhook delivery(ies) pending" in out
    assert reference in out and "escalation.created" in out and "ConnectError" in out
    assert down.url not in out  # no endpoint (it may hold a token) in the listing
    down.start()
    try:
        assert main(["outbox", "--retry-now"]) == 0
        assert "webhook: sent 1, failed 0" in capsys.readouterr().out
        assert down.wait(1)[0].event["data"] == {"reference": reference}
    finally:
        down.stop()


@pytest.mark.parametrize(
    ("env", "named", "hint"),
    [
        ({"PRIVACY_QA_WEBHOOK_URL": "ftp://tool.example.com/h"}, "WEBHOOK_URL", "http(s) URL"),
        ({"PRIVACY_QA_WEBHOOK_URL": "https://"}, "WEBHOOK_URL", "http(s) URL"),
        ({"PRIVACY_QA_WEBHOOK_URL": "https://tool.example.com/h"}, "WEBHOOK_SECRET", "is not"),
        ({"PRIVACY_QA_WEBHOOK_SECRET": "s3cr3t-value-0123456789"}, "WEBHOOK_SECRET", "whsec_"),
        ({"PRIVACY_QA_WEBHOOK_SECRET": "whsec_s3cr3t!value"}, "WEBHOOK_SECRET", "base64"),
        ({"PRIVACY_QA_WEBHOOK_SECRET": "whsec_czNjcjN0"}, "WEBHOOK_SECRET", "24 to 64 bytes"),
        ({"PRIVACY_QA_WEBHOOK_OLD_SECRETS": "whsec_s3cr3t!value"}, "WEBHOOK_OLD_SECRETS", "base64"),
        ({"PRIVACY_QA_WEBHOOK_TIMEOUT_SECONDS": "0"}, "WEBHOOK_TIMEOUT_SECONDS", "above 0"),
    ],
)
def test_bad_webhook_settings_name_the_setting_and_never_echo_the_secret(
    env: dict[str, str], named: str, hint: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert "PRIVACY_QA_" + named in message and hint in message
    assert "s3cr3t" not in message


def test_webhook_urls_are_listed_once_each_and_the_secret_is_never_shown() -> None:
    settings = Settings.from_env(
        {
            "PRIVACY_QA_WEBHOOK_URL": "https://a.example.com/h, http://b.example.com:8080/h,"
            "https://a.example.com/h",
            "PRIVACY_QA_WEBHOOK_SECRET": SECRET,
        }
    )
    assert settings.webhook_url == ("https://a.example.com/h", "http://b.example.com:8080/h")
    assert settings.shown("webhook_secret") == "(set)"
    assert Settings.from_env(settings.to_environ()) == settings


# -- kill -9 of a real two-worker server between commit and delivery -----------------------

KILL_SUBMISSIONS = 60
KILL_AFTER = 30


def committed_events(settings: Settings) -> tuple[dict[str, str], int]:
    """webhook-id -> event type of every webhook row, and how many rows are leased, read
    with a fresh engine."""
    engine = sa.create_engine(settings.database_url or "")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox.c.message_id, outbox.c.kind, outbox.c.lease_until).where(
                    outbox.c.channel == "webhook"
                )
            ).all()
    finally:
        engine.dispose()
    leased = sum(row.lease_until is not None for row in rows)
    return {webhook_id_of(row.message_id): row.kind for row in rows}, leased


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["refuse", "hang"])
def test_kill_9_between_commit_and_delivery_loses_no_event(
    tmp_path: Path, database_url: str, smtp: MailSink, servers: list[Server], fault: str
) -> None:
    # Until after the kill the receiver refuses every POST (not listening), or takes it and
    # never answers (each POST times out, one per round: the others wait their turn).
    receiver = Receiver(hang=True)
    if fault == "hang":
        receiver.start()
    # A token in the URL, as some tools want: it must not reach the server's log.
    url = receiver.url + "?token=hook-canary-5317"
    settings = hook_settings(tmp_path, database_url, smtp, url, encryption_key=(KEY,))
    server = Server(settings, tmp_path / "server.log")
    servers.append(server)
    auth = {"Authorization": f"Bearer {API_KEY}"}
    try:
        # Changes of each kind, acknowledged: requests, escalations, the team verifying some.
        first = submit_all(server.url, submissions(10, "first"), 4)
        references = [reply.body["reference"] for reply in first.values()]
        assert all(reply.status == 201 for reply in first.values())
        for i in range(5):
            assert post(server.url + "/api/escalations", {"question": f"who? {i}"}).status == 201
        for reference in references:
            url = f"{server.url}/api/support/rights-requests/{reference}"
            assert call("PATCH", url, {"status": "verified"}, auth).status == 200
        # Then a burst, and the kill in the middle of it.
        acknowledged: list[str] = []
        lock = threading.Lock()

        def record(item: Submission, reply: Reply) -> None:
            if reply.status == 201:
                with lock:
                    acknowledged.append(reply.body["reference"])

        with ThreadPoolExecutor(1) as background:
            batch = submissions(KILL_SUBMISSIONS, "burst")
            run = background.submit(submit_all, server.url, batch, 8, record)
            wait_for(lambda: len(acknowledged) >= KILL_AFTER, timeout=120, what="first 201s")
            server.kill()
            run.result()
        # Every change that committed has its event, none delivered.
        sent, leased = committed_events(settings)
        assert receiver.delivered() == []
        if fault == "hang":
            assert receiver.hits, "no POST was held before the kill"
        assert len(sent) >= 10 + 5 + 10 + len(acknowledged)  # more: 201s the kill cut off
        assert Counter(sent.values())["rights_request.verified"] == 10

        receiver.hang = False
        receiver.release()
        if fault == "refuse":
            receiver.start()
        restarted = Server(settings, tmp_path / "server.log")
        servers.append(restarted)

        def all_arrived() -> bool:
            return {hit.webhook_id for hit in receiver.delivered()} >= set(sent)

        wait_for(all_arrived, timeout=120, what="every event after the restart")
        delivered = receiver.delivered()
    finally:
        receiver.stop()
    for hit in delivered:
        assert hit.event["type"] == sent[hit.webhook_id]  # verified, and the event committed
        assert hit.path == "/hooks/privacy?token=hook-canary-5317"
    assert "hook-canary-5317" not in (tmp_path / "server.log").read_text()
    arrived = Counter(hit.webhook_id for hit in delivered)
    lost = set(sent) - set(arrived)
    assert not lost
    duplicates = sum(count - 1 for count in arrived.values())
    backend = sa.make_url(database_url).get_backend_name()
    held = sum(hit.status == 0 for hit in receiver.hits)
    print(
        f"\nwebhooks, kill -9, receiver {fault} ({backend}): {len(sent)} events committed "
        f"({len(acknowledged)} of {KILL_SUBMISSIONS} burst requests acknowledged before the "
        f"kill; {leased} rows leased by the killed server; {held} POSTs held unanswered); "
        f"after the restart {len(arrived)} delivered, {len(lost)} lost, {duplicates} twice"
    )


def test_metrics_show_webhook_deliveries_waiting_for_a_refusing_endpoint(
    tmp_path: Path, smtp: MailSink, assistant: Assistant
) -> None:
    down = Receiver()
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    settings = hook_settings(tmp_path, database, smtp, down.url, metrics_token=TOKEN)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        assert scrape(desk)[("privacy_qa_webhooks_pending", label())] == 0
        desk.post("/api/escalations", json={"question": "who?"})
        wait_for(lambda: deliveries(desk)[0].attempts >= 1, what="a refused try")
        smtp.wait(1)
        wait_for(lambda: casework_of(desk).outbox.count("pending") == 0, what="the mail's mark")
        waiting = scrape(desk)
        assert waiting[("privacy_qa_webhooks_pending", label())] == 1
        assert waiting[("privacy_qa_webhooks_oldest_pending_age_seconds", label())] >= 0
        assert waiting[("privacy_qa_outbox_pending", label())] == 0  # mail is counted apart
        down.start()
        try:
            down.wait(1)
            wait_for(lambda: deliveries(desk)[0].status == "sent", what="the mark")
        finally:
            down.stop()
        assert scrape(desk)[("privacy_qa_webhooks_pending", label())] == 0
