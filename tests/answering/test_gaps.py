"""The gap report: declined questions grouped and most asked first, sections found unhelpful,
the period, and a plain "off" when the question log is off; API and CLI, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.answering.gaps import normalise_question
from qa.cli.main import main
from qa.storage.schema import question_log, utcnow
from tests.answering.test_examples import PRINTOUT, teach_settings
from tests.support.casework import API_KEY
from web.app import create_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}
GAPS = "/api/support/gaps"
# Declined by the widgets policy: not covered (asked three ways), silent, and off the topic.
ASKED = [
    PRINTOUT,
    PRINTOUT,
    "Can I get a PRINTOUT of my file?!",
    "can i get a printout of   my file",
    "how do you protect children",
    "How do you protect children?",
    "is the widget club free",
    "hello",  # small talk: declined, but no gap
    "how long do you keep my data",  # answered
]


def test_questions_are_grouped_by_case_spaces_and_punctuation() -> None:
    assert normalise_question("Do you  SELL my data?!") == "do you sell my data"
    assert normalise_question("don't you…") == normalise_question("dont you")
    assert normalise_question("e-mail [email] now") == "e mail email now"


def _fill(client: TestClient) -> None:
    for question in ASKED:
        assert client.post("/api/ask", json={"question": question}).status_code == 200
    services = client.app.state.services  # type: ignore[attr-defined]
    services.questions.flush()
    # An old question, outside a 30-day report.
    with services.store.transaction() as conn:
        old = {"day": utcnow().date() - timedelta(days=40), "answered": False, "confidence": 0}
        conn.execute(question_log.insert().values(question="where is my parcel", **old))
    for section_id, helpful in (
        ("your-rights", False),
        ("your-rights", False),
        ("your-rights", True),
        ("cookies", False),
        ("contact-us", True),  # only helpful: not a gap
    ):
        body = {"section_id": section_id, "helpful": helpful}
        assert client.post("/api/feedback", json=body).status_code == 200
    services.feedback.record("widgets-policy", "sharing-with-couriers", False, old["day"])


def test_gaps_lists_declined_questions_most_asked_first_and_unhelpful_sections(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = teach_settings(tmp_path, database_url, question_log_days=90)
    today = utcnow().date()
    with TestClient(create_app(settings)) as client:
        _fill(client)
        report = client.get(GAPS, headers=AUTH)
        assert report.status_code == 200, report.text
        data = report.json()
        longer = client.get(GAPS, params={"days": 60}, headers=AUTH).json()
    period_to = date.fromisoformat(data["period"]["to"])
    assert period_to in (today, today + timedelta(days=1))  # midnight may pass
    assert data["period"]["from"] == (period_to - timedelta(days=29)).isoformat()
    assert data["question_log"] == "on" and data["question_log_days"] == 90
    declined = [(d["question"], d["count"], d["kinds"]) for d in data["declined"]]
    assert declined == [
        (PRINTOUT, 4, {"not_covered": 4}),  # shown as most often typed
        ("How do you protect children?", 2, {"silent": 2}),
        ("is the widget club free", 1, {"off_topic": 1}),
    ]
    assert all(d["last_seen"] >= today.isoformat() for d in data["declined"])
    unhelpful = [
        (u["section_id"], u["heading"], u["helpful"], u["not_helpful"]) for u in data["unhelpful"]
    ]
    assert unhelpful == [("your-rights", "Your Rights", 1, 2), ("cookies", "Cookies", 0, 1)]
    # Sixty days reach the old question and the old "not helpful".
    assert "where is my parcel" in [d["question"] for d in longer["declined"]]
    assert "sharing-with-couriers" in [u["section_id"] for u in longer["unhelpful"]]

    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    assert main(["gaps", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["declined"] == data["declined"]
    assert main(["gaps", "--days", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("gaps from ") and lines[0].endswith("(30 day(s))")
    rows = [line.split() for line in lines]
    assert ["4", today.isoformat(), *PRINTOUT.split(), "[not_covered]"] in rows
    first_no = next(i for i, line in enumerate(lines) if "widgets-policy#" in line)
    assert lines[first_no].split()[:3] == ["2", "1", "widgets-policy#your-rights"]
    assert "hello" not in "\n".join(lines)


def test_gaps_say_when_the_question_log_is_off(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = teach_settings(tmp_path, database_url)  # PRIVACY_QA_QUESTION_LOG_DAYS=0
    with TestClient(create_app(settings)) as client:
        client.post("/api/ask", json={"question": PRINTOUT})
        client.post("/api/feedback", json={"section_id": "cookies", "helpful": False})
        data = client.get(GAPS, headers=AUTH).json()
    assert data["question_log"] == "off" and data["question_log_days"] == 0
    assert data["declined"] == []
    assert [u["section_id"] for u in data["unhelpful"]] == ["cookies"]
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    assert main(["gaps"]) == 0
    out = capsys.readouterr().out
    assert "the question log is off (PRIVACY_QA_QUESTION_LOG_DAYS=0)" in out
    assert "widgets-policy#cookies" in out


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": "x"}, "days"),
        ({"days": 4000}, "days"),
        ({"limit": 0}, "limit"),
    ],
)
def test_gaps_refuse_a_bad_period_naming_the_field(
    tmp_path: Path, params: dict[str, Any], field: str
) -> None:
    with TestClient(create_app(teach_settings(tmp_path, None))) as client:
        response = client.get(GAPS, params=params, headers=AUTH)
        assert response.status_code == 422
        assert response.json()["error"]["field"] == field
        assert client.get(GAPS).status_code == 401
    assert main(["gaps", "--days", "0"]) == 2
