"""Canary values in every field a visitor or the privacy team fills: none in the logs of a real
server (at debug level), none in plain bytes in the SQLite file or its journal when encryption
is on; and the same scan does find them when it is off, so the test can fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.settings import Settings
from qa.storage.engine import SQLITE_FILE
from tests.support.canaries import Canaries
from tests.support.casework import API_KEY, PRIVACY, MailSink, casework_settings, link_in, local
from tests.support.servers import KEY, Server, call, get, post
from web.app import create_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _files(folder: Path) -> dict[str, bytes]:
    """The database and its journal (and WAL, were there one), as raw bytes."""
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.name.startswith(SQLITE_FILE)
    }


@pytest.mark.slow
def test_canaries_in_every_field_reach_neither_the_logs_nor_the_encrypted_database(
    tmp_path: Path, smtp: MailSink
) -> None:
    canary = Canaries()
    data_dir = tmp_path / "data"
    settings = casework_settings(data_dir, None, smtp, encryption_key=(KEY,), log_level="debug")
    log = tmp_path / "server.log"
    server = Server(settings, log, workers=1)
    try:
        url = server.url
        # A chat question, asked three ways: it is answered and never stored.
        question = canary("chat question")
        assert post(url + "/api/ask", {"question": f"cookies {question}"}).status == 200
        assert get(url + "/api/ask?" + urlencode({"q": f"cookies {question}"}))[0] == 200
        assert call("GET", url + "/?" + urlencode({"q": question})).status == 200  # the page

        request = {
            "right": "access",
            "jurisdiction": "gdpr",
            "name": f"{canary('name')} Lima",
            "email": canary.email("email"),
            "details": f"customer {canary('details')}",
            "question": f"please send my data {canary('request question')}",
        }
        made = post(url + "/api/rights-requests", request, key=canary("idempotency key"))
        assert made.status == 201, made.body
        reference = str(made.body["reference"])
        [verification] = smtp.wait(1, to=request["email"])
        page = call("GET", url + link_in(verification, "/rights-requests/verify"))
        assert page.status == 200 and "confirmed" in page.text
        assert get(url + local(str(made.body["api_url"])))[1]["status"] == "verified"
        assert call("GET", url + local(str(made.body["status_url"]))).status == 200

        escalation = {
            "question": f"who are your processors {canary('escalation question')}",
            "transcript": [
                {
                    "question": f"do you sell data {canary('transcript question')}",
                    "answer": f"we do not {canary('transcript answer')}",
                }
            ],
            "email": canary.email("escalation email"),
            "consent": True,
        }
        escalated = post(url + "/api/escalations", escalation)
        assert escalated.status == 201, escalated.body
        case = f"/api/support/escalations/{escalated.body['reference']}"
        noted = call("PATCH", url + case, {"note": f"ask legal {canary('escalation note')}"}, AUTH)
        assert noted.status == 200, noted.text
        replied = call("POST", url + case + "/reply", {"text": canary("reply")}, AUTH)
        assert replied.status == 200, replied.text
        assert (
            canary.values["reply"]
            in call("GET", url + local(str(escalated.body["status_url"]))).text
        )

        path = f"/api/support/rights-requests/{reference}"
        changes = [
            {"note": f"called back {canary('note')}"},
            {"status": "extended", "reason": f"more time {canary('extension reason')}"},
            {
                "status": "denied",
                "reason": f"not found {canary('denial reason')}",
                "reply": f"sorry {canary('reply')}",
            },
        ]
        for change in changes:
            changed = call("PATCH", url + path, change, AUTH)
            assert changed.status == 200, changed.text
        # Every mail goes out (verification, privacy@ twice, two status changes).
        smtp.wait(2, to=PRIVACY)
        smtp.wait(3, to=request["email"])
        smtp.wait(1, to=str(escalation["email"]))  # the reply

        # The data is there for the privacy team, decrypted: the canaries were stored.
        stored = call("GET", url + path, headers=AUTH).body
        assert stored["email"] == request["email"]
        assert canary.values["note"] in str(stored["notes"])
        assert canary.values["denial reason"] in str(stored["reason"])
        assert canary.values["reply"] in str(stored["reply"])
        listed = call("GET", url + "/api/support/escalations", headers=AUTH).text
        assert canary.values["transcript answer"] in listed
    finally:
        server.kill()

    logged = log.read_bytes()
    assert b'"level":"debug"' in logged or b'"level":"info"' in logged  # the log was written
    assert canary.found_in(logged) == [], "personal data in the server's log"
    files = _files(data_dir)
    assert SQLITE_FILE in files and f"{SQLITE_FILE}-journal" in files
    for name, raw in files.items():
        assert canary.found_in(raw) == [], f"in clear in {name}: {canary.found_in(raw)}"


def test_without_a_key_the_same_scan_finds_the_canaries(
    tmp_path: Path, smtp: MailSink, assistant: Assistant
) -> None:
    canary = Canaries()
    settings: Settings = casework_settings(tmp_path, None, smtp)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        body = {
            "right": "erasure",
            "jurisdiction": "gdpr",
            "name": canary("name"),
            "email": canary.email("email"),
            "details": canary("details"),
        }
        assert client.post("/api/rights-requests", json=body).status_code == 201
    found = canary.found_in(_files(tmp_path)[SQLITE_FILE])
    assert sorted(found) == ["details", "email", "name"]


def _traced(kind: str, data_dir: Path, canary: Canaries) -> str:
    """The spans an app makes in a process whose environment gives it a tracer provider."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.tracing",
            kind,
            str(data_dir),
            f"cookies {canary('question')}",
            canary("status token"),
        ],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_tracer_provider_in_the_environment_gets_no_visitor_text_from_our_app(
    tmp_path: Path,
) -> None:
    # FastAPI's own OpenTelemetry spans carry a request's query string: a question asked in
    # ?q=, a status link's token. Ours are off; our metrics are /metrics.
    canary = Canaries()
    spans = _traced("ours", tmp_path, canary)
    assert canary.found_in(spans) == [], spans
    assert json.loads(spans) == []


@pytest.mark.slow
def test_the_same_provider_gets_the_question_from_fastapi_as_it_comes(tmp_path: Path) -> None:
    canary = Canaries()
    spans = _traced("bare", tmp_path, canary)
    assert sorted(canary.found_in(spans)) == ["question", "status token"], spans
