"""'Was this helpful?': counts per section and day, and nothing about who answered."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.answering.feedback import FeedbackCount, FeedbackCounts
from qa.ratelimits import parse_limits
from qa.settings import Settings, parse_api_keys
from qa.storage.cipher import Cipher
from qa.storage.engine import make_engine
from qa.storage.store import Store
from tests.support.casework import API_KEY
from web.app import create_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _counts(client: TestClient) -> list[FeedbackCount]:
    counts: FeedbackCounts = client.app.state.services.feedback  # type: ignore[attr-defined]
    return counts.counts()


def test_counts_are_kept_per_day_and_section(database_url: str) -> None:
    store = Store(make_engine(database_url), Cipher())
    store.upgrade()
    counts = FeedbackCounts(store)
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    counts.record("privacy-policy", "data-retention", True, monday)
    counts.record("privacy-policy", "data-retention", True, monday)
    counts.record("privacy-policy", "data-retention", False, monday)
    counts.record("privacy-policy", "data-retention", False, tuesday)
    counts.record("privacy-policy", "contact-us", True, monday)
    assert counts.counts() == [
        FeedbackCount(monday, "privacy-policy", "contact-us", 1, 0),
        FeedbackCount(monday, "privacy-policy", "data-retention", 2, 1),
        FeedbackCount(tuesday, "privacy-policy", "data-retention", 0, 1),
    ]
    assert counts.counts()[0].to_dict() == {
        "day": "2026-03-02",
        "document": "privacy-policy",
        "section_id": "contact-us",
        "helpful": 1,
        "not_helpful": 0,
    }
    assert counts.counts(since=tuesday) == [counts.counts()[-1]]
    store.close()


def test_feedback_api_counts_a_yes_and_a_no(client: TestClient) -> None:
    for helpful in (True, True, False):
        response = client.post(
            "/api/feedback", json={"section_id": "data-retention", "helpful": helpful}
        )
        assert response.status_code == 200 and response.json() == {"status": "counted"}
    (count,) = _counts(client)
    assert (count.document, count.section_id, count.helpful, count.not_helpful) == (
        "privacy-policy",
        "data-retention",
        2,
        1,
    )


def test_feedback_on_an_unknown_section_is_a_404_that_names_it(client: TestClient) -> None:
    response = client.post("/api/feedback", json={"section_id": "nope", "helpful": True})
    assert response.status_code == 404
    assert "nope" in response.json()["error"]["message"]


def test_feedback_takes_nothing_but_section_document_and_yes_or_no(client: TestClient) -> None:
    extra = {"section_id": "data-retention", "helpful": True, "question": "my name is Ana"}
    response = client.post("/api/feedback", json=extra)
    assert response.status_code == 422 and response.json()["error"]["field"] == "question"
    response = client.post("/api/feedback", json={"section_id": "data-retention", "helpful": "yes"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "helpful"
    assert _counts(client) == []


def test_the_privacy_team_reads_the_counts_with_a_support_key(
    assistant: Assistant, tmp_path: Path
) -> None:
    key = "k" * 24
    settings = Settings(data_dir=tmp_path, api_keys=parse_api_keys(key))
    before = datetime.now(UTC).date().isoformat()
    with TestClient(create_app(settings, assistant=assistant)) as client:
        client.post("/api/feedback", json={"section_id": "contact-us", "helpful": False})
        assert client.get("/api/support/feedback").status_code == 401
        response = client.get("/api/support/feedback", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 200
    (row,) = response.json()["counts"]
    assert (row["section_id"], row["helpful"], row["not_helpful"]) == ("contact-us", 0, 1)
    assert row["day"] in (before, datetime.now(UTC).date().isoformat())  # midnight may pass


def _feedback_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        api_keys=parse_api_keys(API_KEY),
        rate_limits=parse_limits("off"),
    )


def test_counts_survive_a_restart_and_are_shared_by_two_apps(
    assistant: Assistant, tmp_path: Path, database_url: str
) -> None:
    settings = _feedback_settings(tmp_path, database_url)
    body = {"section_id": "data-retention", "helpful": False}
    with TestClient(create_app(settings, assistant=assistant)) as first:
        assert first.post("/api/feedback", json=body).status_code == 200
    # A new app over the same database (a restart), and a second one beside it (a worker).
    with (
        TestClient(create_app(settings, assistant=assistant)) as one,
        TestClient(create_app(settings, assistant=assistant)) as two,
    ):
        assert one.post("/api/feedback", json=body).status_code == 200
        assert two.post("/api/feedback", json={**body, "helpful": True}).status_code == 200
        for client in (one, two):
            (row,) = client.get("/api/support/feedback", headers=AUTH).json()["counts"]
            assert (row["section_id"], row["helpful"], row["not_helpful"]) == (
                "data-retention",
                1,
                2,
            )


def test_counts_from_many_threads_and_two_stores_all_count(database_url: str) -> None:
    stores = [Store(make_engine(database_url), Cipher()) for _ in range(2)]
    stores[0].upgrade()
    counters = [FeedbackCounts(s) for s in stores]

    def click(i: int) -> None:
        counters[i % 2].record("privacy-policy", "contact-us", i % 3 != 0)

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(click, range(120)))
        (count,) = counters[1].counts()
        assert (count.helpful, count.not_helpful) == (80, 40)
    finally:
        for store in stores:
            store.close()
