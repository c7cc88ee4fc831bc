"""The question log: off by default, redacted when on, purged after N days, behind a key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.answering.questions import QuestionLog, redact
from qa.casework.retention import PurgeSchedule, purge
from qa.cli.main import main
from qa.settings import Settings
from qa.storage.schema import question_log, utcnow
from qa.storage.store import open_store
from tests.support.casework import API_KEY, MailSink, casework_settings
from web.app import create_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}
LOG = "/api/support/question-log"
CANARIES = (
    "alice.canary@example.com",
    "canary",
    "Alice",
    "Smith",
    "+44 20 7946 0958",
    "7946",
    "4111 1111 1111 1111",
    "4111",
    "https://canary.example.net",
    "203.0.113.77",
)
PLANTED = (
    "My name is Alice Smith, write to alice.canary@example.com or call +44 20 7946 0958; "
    "card 4111 1111 1111 1111, see https://canary.example.net/x from 203.0.113.77. "
    "How can I delete my data?"
)
DECLINED = "What is the airspeed velocity of an unladen swallow?"
ANSWERED = "How can I delete my data?"


def _ask_everywhere(client: TestClient, question: str) -> None:
    """The question through each route that answers: POST and GET /api/ask, and the chat page."""
    assert client.post("/api/ask", json={"question": question}).status_code == 200
    assert client.get("/api/ask", params={"q": question}).status_code == 200
    assert client.get("/", params={"q": question}).status_code == 200


def _rows(url: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(question_log))]
    finally:
        engine.dispose()


def _flush(client: TestClient) -> None:
    # The rows are written in batches by the app's background task; this writes them now.
    client.app.state.services.questions.flush()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("mail me at a.b+c@example.co.uk please", "mail me at [email] please"),
        ("call 020 7946 0958", "call [phone]"),
        ("call +1 (555) 123-4567 now", "call [phone] now"),
        ("card 4111-1111-1111-1111", "card [number]"),
        ("account 12345678901234", "account [number]"),
        ("see http://x.example/a?b=1 ok", "see [url] ok"),
        ("from 10.0.0.1 and 2001:db8::ff00:42:8329", "from [ip] and [ip]"),
        ("my name is Alice Smith and I want", "my name is [name] and I want"),
        ("I'm Bob, I am Carol Jones", "I'm [name], I am [name]"),
        ("i am worried about cookies since 2024", "i am worried about cookies since 2024"),
    ],
)
def test_redact_replaces_personal_data_with_placeholders(question: str, expected: str) -> None:
    assert redact(question) == expected


def test_redact_cuts_to_500_characters_after_redacting() -> None:
    question = "x" * 495 + " alice@example.com"
    assert redact(question) == "x" * 495 + " [ema"
    assert "alice" not in redact(question)


def test_question_log_is_off_by_default_and_keeps_nothing(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(tmp_path, database_url, smtp)
    assert settings.question_log_days == Settings().question_log_days == 0
    with TestClient(create_app(settings, assistant=assistant)) as client:
        _ask_everywhere(client, PLANTED)
        _ask_everywhere(client, DECLINED)
        _flush(client)
        empty = {"items": [], "total": 0, "limit": 100, "offset": 0}
        assert client.get(LOG, headers=AUTH).json() == empty
    assert _rows(database_url) == []


def test_logged_questions_are_redacted_in_rows_api_and_file(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(tmp_path, database_url, smtp, question_log_days=30)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        _ask_everywhere(client, PLANTED)
        _ask_everywhere(client, ANSWERED)
        _ask_everywhere(client, DECLINED)
        _flush(client)
        everything = client.get(LOG, headers=AUTH)
        declined = client.get(LOG, params={"answered": "false"}, headers=AUTH).json()["items"]
    assert everything.status_code == 200
    assert everything.headers["cache-control"] == "no-store"
    items = everything.json()["items"]
    # Every ask is logged, the cached repeats too, newest first.
    assert len(items) == 9
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    assert items[0]["question"] == DECLINED and items[0]["answered"] is False
    assert items[3]["question"] == ANSWERED and items[3]["answered"] is True
    assert items[3]["section"] and items[3]["document"]
    assert items[0]["day"] == utcnow().date().isoformat()
    assert declined and all(i["answered"] is False for i in declined)
    assert DECLINED in {i["question"] for i in declined}
    planted = [i["question"] for i in items[6:]]
    assert planted == [planted[0]] * 3
    for placeholder in ("[name]", "[email]", "[phone]", "[number]", "[url]", "[ip]"):
        assert placeholder in planted[0]
    assert set(items[0]) == {
        "id",
        "question",
        "day",
        "answered",
        "confidence",
        "section",
        "document",
        "kind",
    }
    rows = _rows(database_url)
    assert len(rows) == 9
    for canary in CANARIES:
        assert canary not in everything.text
        assert all(canary not in str(row) for row in rows)
    if database_url.startswith("sqlite"):
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("casework.sqlite3*"))
        assert b"Alice" not in raw  # the file holds the rows: the redacted text is there
        assert b"How can I delete my data?" in raw
        for canary in CANARIES:
            assert canary.encode() not in raw


def test_purge_deletes_logged_questions_older_than_n_days(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(tmp_path, database_url, smtp, question_log_days=30)
    store = open_store(settings)
    try:
        log = QuestionLog(store, settings.question_log_days)
        log.add(DECLINED, assistant.answer(DECLINED))
        log.add(ANSWERED, assistant.answer(ANSWERED))
        assert log.flush() == 2
        today = utcnow()
        # Logged today: kept on day 30, deleted on day 31.
        assert purge(store, 365, today + timedelta(days=30), question_days=30).questions == 0
        assert len(log.recent()) == 2
        clock = [today + timedelta(days=31)]
        schedule = PurgeSchedule(store, 365, timedelta(hours=24), lambda: clock[0], 30)
        erased = schedule.tick()
        assert erased is not None and erased.questions == 2
        assert log.recent() == []
        # Turned off (0), the log keeps nothing: rows left from when it was on go at once.
        log.add(DECLINED, assistant.answer(DECLINED))
        log.flush()
        assert purge(store, 365, today, question_days=0).questions == 1
        assert _rows(database_url) == []
    finally:
        store.close()


def test_question_log_api_needs_a_key(tmp_path: Path, smtp: MailSink, assistant: Assistant) -> None:
    settings = casework_settings(tmp_path, None, smtp, question_log_days=30)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        client.get("/api/ask", params={"q": DECLINED})
        _flush(client)
        for headers in ({}, {"Authorization": "Bearer wrong-key-0123456789"}):
            response = client.get(LOG, headers=headers)
            assert response.status_code == 401
            assert "swallow" not in response.text
        assert client.get(LOG, headers=AUTH).status_code == 200
    with TestClient(create_app(Settings(data_dir=tmp_path), assistant=assistant)) as client:
        assert client.get(LOG, headers=AUTH).status_code == 403


def test_questions_command_lists_declined_questions_by_count(
    tmp_path: Path,
    smtp: MailSink,
    assistant: Assistant,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    settings = casework_settings(tmp_path, url, smtp, question_log_days=30)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        for _ in range(3):
            client.get("/api/ask", params={"q": DECLINED})
        client.get("/api/ask", params={"q": "My name is Alice Smith: is alice@example.org safe?"})
        client.get("/api/ask", params={"q": ANSWERED})
    # Closing the app wrote what was queued.
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    assert main(["questions"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split(None, 1) == ["3", DECLINED]
    assert ANSWERED not in out and "alice" not in out.lower()
    assert main(["questions", "--answered", "--json"]) == 0
    assert '"count": 1' in capsys.readouterr().out
