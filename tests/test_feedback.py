"""'Was this helpful?': counts per section and day, and nothing about who answered."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from qa.feedback import FeedbackCount, FeedbackCounts


def test_counts_are_kept_per_day_and_section() -> None:
    counts = FeedbackCounts()
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


def test_feedback_api_counts_a_yes_and_a_no(client: TestClient) -> None:
    for helpful in (True, True, False):
        response = client.post(
            "/api/feedback", json={"section_id": "data-retention", "helpful": helpful}
        )
        assert response.status_code == 200 and response.json() == {"status": "counted"}
    (count,) = client.app.state.feedback.counts()  # type: ignore[attr-defined]
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
    assert client.app.state.feedback.counts() == []  # type: ignore[attr-defined]
