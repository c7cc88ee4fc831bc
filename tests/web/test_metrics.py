"""GET /metrics: Prometheus text behind a token; requests by route template and status,
latency, answers, the outbox's depth and age; summed over a real server's workers."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bench.throughput import serve
from qa.answering.assistant import Assistant
from qa.ratelimits import parse_limits
from qa.settings import Settings, parse_api_keys
from tests.support.casework import API_KEY, MailSink, casework_settings, rights_body, wait_for
from web.app import create_app

TOKEN = "metrics-token-0123456789"
COVERED = "how long do you keep my data"
NOT_COVERED = "what will the weather be on mars tomorrow"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(
    client: TestClient, token: str = TOKEN
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The app's metrics, read with `token`."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def label(**labels: str) -> frozenset[tuple[str, str]]:
    """A label set."""
    return frozenset(labels.items())


@pytest.fixture()
def metered(tmp_path: Path, assistant: Assistant) -> Iterator[TestClient]:
    """The app with a metrics token."""
    settings = Settings(data_dir=tmp_path, metrics_token=TOKEN)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def test_metrics_need_the_token_or_a_support_key(tmp_path: Path, assistant: Assistant) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), assistant=assistant)) as client:
        off = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert off.status_code == 403
    assert "PRIVACY_QA_METRICS_TOKEN" in off.json()["error"]["message"]
    settings = Settings(data_dir=tmp_path, metrics_token=TOKEN, api_keys=parse_api_keys(API_KEY))
    with TestClient(create_app(settings, assistant=assistant)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
        scrape(client, TOKEN)
        scrape(client, API_KEY)


def test_requests_are_counted_by_route_template_and_status(
    metered: TestClient, assistant: Assistant
) -> None:
    questions = [COVERED, COVERED, NOT_COVERED]
    for question in questions:
        assert metered.post("/api/ask", json={"question": question}).status_code == 200
    assert metered.get("/api/ask", params={"q": NOT_COVERED}).status_code == 200
    assert metered.get("/?q=" + COVERED).status_code == 200
    secret = "RR-2026-000777?token=secret-token-value"
    assert metered.get("/api/rights-requests/" + secret).status_code == 404
    assert metered.get("/no/such/page").status_code == 404
    response = metered.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    found = samples(response.text)

    requests = "privacy_qa_http_requests_total"
    assert found[(requests, label(method="POST", route="/api/ask", status="200"))] == 3
    assert found[(requests, label(method="GET", route="/api/ask", status="200"))] == 1
    assert found[(requests, label(method="GET", route="/", status="200"))] == 1
    route = "/api/rights-requests/{reference}"
    assert found[(requests, label(method="GET", route=route, status="404"))] == 1
    assert found[(requests, label(method="GET", route="unmatched", status="404"))] == 1
    latency = "privacy_qa_http_request_duration_seconds"
    assert found[(latency + "_count", label(method="POST", route="/api/ask"))] == 3
    assert found[(latency + "_bucket", label(method="POST", route="/api/ask", le="+Inf"))] == 3
    # No path, query, token or question made it into a label.
    for text in ("RR-2026-000777", "secret-token-value", "weather", "/no/such"):
        assert text not in response.text

    asked = [*questions, NOT_COVERED, COVERED]
    answered = sum(assistant.answer(q).answered for q in asked)
    assert 0 < answered < len(asked)  # the questions cover both outcomes
    answers = "privacy_qa_answers_total"
    assert found[(answers, label(result="answered"))] == answered
    assert found[(answers, label(result="declined"))] == len(asked) - answered


def test_refusals_are_counted_with_their_route(tmp_path: Path, assistant: Assistant) -> None:
    settings = Settings(data_dir=tmp_path, metrics_token=TOKEN).with_values(
        rate_limits=Settings.from_env({"PRIVACY_QA_RATE_LIMITS": "ask=1/day"}).rate_limits
    )
    with TestClient(create_app(settings, assistant=assistant)) as client:
        client.post("/api/ask", json={"question": COVERED})
        assert client.post("/api/ask", json={"question": COVERED}).status_code == 429
        found = scrape(client)
    requests = "privacy_qa_http_requests_total"
    assert found[(requests, label(method="POST", route="/api/ask", status="429"))] == 1


def test_outbox_depth_and_age_follow_the_mail(
    tmp_path: Path, assistant: Assistant, smtp_down: MailSink
) -> None:
    settings = casework_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", smtp_down, metrics_token=TOKEN
    )
    with TestClient(create_app(settings, assistant=assistant)) as client:
        empty = scrape(client)
        assert empty[("privacy_qa_outbox_pending", label())] == 0
        assert empty[("privacy_qa_outbox_oldest_pending_age_seconds", label())] == 0
        for i in range(2):  # SMTP is down: each request's verification mail waits
            body = rights_body(email=f"person{i}@example.com")
            assert client.post("/api/rights-requests", json=body).status_code == 201
        waiting = scrape(client)
        assert waiting[("privacy_qa_outbox_pending", label())] == 2
        assert 0 <= waiting[("privacy_qa_outbox_oldest_pending_age_seconds", label())] < 3600
        smtp_down.start()
        client.app.state.services.outbox.retry_now()  # type: ignore[attr-defined]
        smtp_down.wait(2)
        done = scrape(client)
        assert done[("privacy_qa_outbox_pending", label())] == 0
        assert done[("privacy_qa_outbox_oldest_pending_age_seconds", label())] == 0


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.slow
def test_a_two_worker_server_reports_the_sum_over_its_workers(tmp_path: Path) -> None:
    with serve(
        None, tmp_path, workers=2, PRIVACY_QA_METRICS_TOKEN=TOKEN, PRIVACY_QA_RATE_LIMITS="off"
    ) as url:
        folder = tmp_path / "data" / "metrics"
        sent = 0

        def both_workers_served() -> bool:
            # Requests on new connections, a few at once, until each worker has answered some
            # (each keeps its counters in a file of its own).
            nonlocal sent
            with ThreadPoolExecutor(4) as pool:
                statuses = list(pool.map(lambda _: _get(url + "/api/policy")[0], range(8)))
            assert statuses == [200] * 8
            sent += 8
            return len(list(folder.glob("counter_*.db"))) == 2

        wait_for(both_workers_served, timeout=60, what="both workers to answer")

        def total() -> float | None:
            status, text = _get(url + "/metrics", TOKEN)
            assert status == 200, text
            key = label(method="GET", route="/api/policy", status="200")
            return samples(text).get(("privacy_qa_http_requests_total", key))

        # A request is counted just after its answer goes out: wait for the last one.
        wait_for(lambda: total() == sent, what=f"the count to reach {sent}")
        # Every scrape, whichever worker answers it, sees the sum over both.
        assert [total() for _ in range(6)] == [float(sent)] * 6
        assert "privacy_qa_outbox_pending 0.0" in _get(url + "/metrics", TOKEN)[1]


def test_wrong_metrics_tokens_run_into_the_support_rate_limit(
    tmp_path: Path, assistant: Assistant
) -> None:
    settings = Settings(
        data_dir=tmp_path, metrics_token=TOKEN, rate_limits=parse_limits("support=3/min")
    )
    with TestClient(create_app(settings, assistant=assistant)) as client:
        wrong = [
            client.get("/metrics", headers={"Authorization": f"Bearer guess-{i:016d}"})
            for i in range(3)
        ]
        assert [r.status_code for r in wrong] == [401, 401, 401]
        refused = client.get("/metrics", headers={"Authorization": "Bearer guess-4"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        error = refused.json()["error"]
        assert (error["status"], error["code"]) == (429, "rate_limited")
        # The same bucket as the support API's: a guesser cannot switch to it for more tries.
        assert client.get("/api/support/escalations").status_code == 429
