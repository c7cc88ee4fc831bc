"""Logs hold no one: canary addresses, questions, names and e-mails sent to every route, in
process (caplog) and to a real server (its stderr), never show up; the access log has a line
per request with the route template."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from bench.throughput import serve
from qa.answering.assistant import Assistant
from qa.logs import JsonFormatter, TextFormatter, log_config
from tests.support.casework import API_KEY, MailSink, casework_settings, link_in, wait_for
from tests.support.routes import every_route, fill, hidden_token
from web.app import create_app
from web.middleware.access import RouteTemplates

ROOT = Path(__file__).resolve().parents[1]
FORWARDED_IP = "203.0.113.77"
PEER_IP = "198.51.100.23"
QUESTION = "does the zebracorn keep my quokkafile"
NAME = "Quillon Canarysmith"
EMAIL = "quillon.canary@example.org"
SECRET = "Tokzebra7Canary"  # a would-be token in queries
CANARIES = (
    FORWARDED_IP,
    PEER_IP,
    "zebracorn",
    "quokkafile",
    "Quillon",
    "Canarysmith",
    EMAIL,
    SECRET,
)

HEADERS = {
    "X-Forwarded-For": FORWARDED_IP,
    "X-Real-IP": FORWARDED_IP,
    "Forwarded": f"for={FORWARDED_IP}",
    "User-Agent": f"{NAME} <{EMAIL}>",
    "Referer": f"https://example.org/?q={QUESTION.replace(' ', '+')}",
    "Authorization": f"Bearer {API_KEY}",
}
CANARY_BODY: dict[str, Any] = {
    "question": QUESTION,
    "name": NAME,
    "email": EMAIL,
    "details": f"{NAME}, {EMAIL}",
    "transcript": [{"question": QUESTION, "answer": ""}],
    "questions": [QUESTION],
    "consent": True,
    "note": NAME,
    "reason": NAME,
    "text": NAME,
    "section_id": NAME,
    "token": SECRET,
}
QUERY = urlencode(
    {"q": QUESTION, "question": QUESTION, "token": SECRET, "email": EMAIL, "name": NAME}
)

# (method, path, headers, body, content type) -> (status, text)
Send = Callable[[str, str, dict[str, str], bytes | None, str | None], tuple[int, str]]


def visit_everything(
    routes: list[tuple[str, str]], send: Send, before_erase: Callable[[], None] = lambda: None
) -> dict[str, Any]:
    """Send canaries to every route, then walk the real flows with them; what the flows made.
    `before_erase` runs before the last step, the erasure, which kills the requests' links."""
    for method, template in routes:
        path = fill(template, NAME.replace(" ", "-")) + "?" + QUERY
        if method in ("POST", "PATCH"):
            if template.startswith("/api/"):
                send(method, path, HEADERS, json.dumps(CANARY_BODY).encode(), "application/json")
            else:
                form = urlencode({k: str(v) for k, v in CANARY_BODY.items()}).encode()
                send(method, path, HEADERS, form, "application/x-www-form-urlencoded")
        else:
            send(method, path, HEADERS, None, None)

    def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        status, text = send("POST", path, HEADERS, json.dumps(body).encode(), "application/json")
        return status, json.loads(text)

    def post_form(page: str, fields: dict[str, str]) -> int:
        _, html = send("GET", page, HEADERS, None, None)
        form = urlencode({**fields, "token": hidden_token(html)}).encode()
        status, _ = send("POST", page, HEADERS, form, "application/x-www-form-urlencoded")
        return status

    made: dict[str, Any] = {}
    assert post("/api/ask", {"question": QUESTION})[0] == 200
    assert send("GET", "/?" + urlencode({"q": QUESTION}), HEADERS, None, None)[0] == 200
    person = {"name": NAME, "email": EMAIL, "details": f"{NAME} {EMAIL}", "question": QUESTION}
    status, created = post(
        "/api/rights-requests", {"right": "erasure", "jurisdiction": "gdpr", **person}
    )
    assert status == 201, created
    made["reference"] = created["reference"]
    status_path = created["status_url"].split("://", 1)[1].split("/", 1)[1]
    assert send("GET", "/" + status_path, HEADERS, None, None)[0] == 200
    assert send("GET", "/" + status_path.removeprefix("api/"), HEADERS, None, None)[0] == 200
    rights_form = {"right": "access", "jurisdiction": "ccpa", **person}
    assert post_form("/rights-requests/new", rights_form) == 303
    escalation = {"question": QUESTION, "email": EMAIL, "consent": True}
    status, asked = post("/api/escalations", escalation)
    assert status == 201, asked
    case = f"/api/support/escalations/{asked['reference']}"
    change = json.dumps({"note": f"{NAME} called", "assignee": "alice"}).encode()
    assert send("PATCH", case, HEADERS, change, "application/json")[0] == 200
    assert post(f"{case}/reply", {"text": f"Dear {NAME}, {EMAIL}"})[0] == 200
    for url in (asked["status_url"], asked["api_url"]):
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        assert send("GET", path, HEADERS, None, None)[0] == 200
    assert post_form("/escalations/new", {"question": QUESTION, "email": EMAIL, "consent": "yes"})
    status, opt_out = post(
        "/api/rights-requests", {"right": "opt_out", "jurisdiction": "ccpa", **person}
    )
    assert status == 201, opt_out
    reference = opt_out["reference"]
    note = json.dumps({"note": f"{NAME} called", "status": "denied", "reason": NAME}).encode()
    status, _ = send(
        "PATCH", f"/api/support/rights-requests/{reference}", HEADERS, note, "application/json"
    )
    assert status == 200
    assert post("/api/support/ask", {"questions": [QUESTION]})[0] == 200
    before_erase()
    assert post("/api/support/erase", {"email": EMAIL})[0] == 200
    return made


def assert_no_canary(text: str, where: str) -> None:
    """None of the canaries in `text`."""
    found = [c for c in CANARIES if c.lower() in text.lower()]
    assert not found, f"{where} holds {found}:\n{text}"


# -- in process ---------------------------------------------------------------------------


@pytest.fixture()
def logged_app(
    tmp_path: Path, assistant: Assistant, smtp: MailSink
) -> Iterator[tuple[TestClient, MailSink]]:
    """The app on SQLite with a real SMTP server, seen from the canary peer address."""
    settings = casework_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", smtp)
    with TestClient(create_app(settings, assistant=assistant), client=(PEER_IP, 50000)) as client:
        yield client, smtp


def test_no_log_record_holds_an_address_question_name_or_email(
    logged_app: tuple[TestClient, MailSink], caplog: pytest.LogCaptureFixture
) -> None:
    client, smtp = logged_app
    caplog.set_level(logging.DEBUG)
    routes = every_route(client.app)  # type: ignore[arg-type]

    def send(
        method: str, path: str, headers: dict[str, str], body: bytes | None, kind: str | None
    ) -> tuple[int, str]:
        more = {"content-type": kind} if kind else {}
        response = client.request(
            method, path, headers={**headers, **more}, content=body, follow_redirects=False
        )
        return response.status_code, response.text

    def follow_the_verification_link() -> None:
        mail = smtp.wait(1, to=EMAIL, kind="Please confirm")[0]
        verify = link_in(mail, "/rights-requests/verify")
        assert send("GET", verify, HEADERS, None, None)[0] == 200
        smtp.wait(1, to="privacy@example.com")

    visit_everything(routes, send, follow_the_verification_link)

    # Not the server's: the test client (httpx prints the URLs it requests) and the test's
    # SMTP server (aiosmtpd's mail.log prints the mail it receives).
    theirs = ("httpx", "httpcore", "mail.log")
    ours = [r for r in caplog.records if not r.name.startswith(theirs)]
    access = [r for r in ours if r.name == "web.middleware.access"]
    seen = {(r.fields["method"], r.fields["route"]) for r in access}  # type: ignore[attr-defined]
    assert set(routes) <= seen, f"routes with no access-log line: {set(routes) - seen}"
    assert any(r.name == "qa.casework.rights" for r in ours), "the casework logs were not captured"
    for formatter in (JsonFormatter(), TextFormatter()):
        for record in ours:
            assert_no_canary(formatter.format(record), f"log record of {record.name}")


def test_access_log_line_has_method_route_status_and_duration_only(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="web.middleware.access")
    client.get(f"/api/rights-requests/RR-2026-000042?token={SECRET}")
    client.request("BREW", "/api/ask")
    lines = [
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.name == "web.middleware.access"
    ]
    assert [{k: v for k, v in line.items() if k != "time"} for line in lines] == [
        {
            "level": "info",
            "logger": "web.middleware.access",
            "message": "GET /api/rights-requests/{reference} 404",
            "method": "GET",
            "route": "/api/rights-requests/{reference}",
            "status": 404,
            "duration_ms": lines[0]["duration_ms"],
        },
        {
            "level": "info",
            "logger": "web.middleware.access",
            "message": "OTHER /api/ask 405",
            "method": "OTHER",
            "route": "/api/ask",
            "status": 405,
            "duration_ms": lines[1]["duration_ms"],
        },
    ]
    assert all(isinstance(line["duration_ms"], float) for line in lines)


def test_unknown_paths_are_logged_as_unmatched(client: TestClient) -> None:
    templates = RouteTemplates(lambda: client.app.routes)  # type: ignore[attr-defined]
    scope = {"type": "http", "method": "GET", "path": f"/{NAME}/{EMAIL}"}
    assert templates.of(scope) == "unmatched"
    scope = {"type": "http", "method": "POST", "path": "/api/rights-requests/RR-2026-000001"}
    assert templates.of(scope) == "/api/rights-requests/{reference}"


def test_log_config_silences_uvicorns_access_log_and_writes_json() -> None:
    config = log_config("debug", "json")
    assert config["loggers"]["uvicorn.access"] == {
        "handlers": [],
        "level": "CRITICAL",
        "propagate": False,
    }
    assert config["handlers"]["stderr"]["formatter"] == "json"
    with pytest.raises(ValueError, match="json, text"):
        log_config("info", "xml")


# -- a real server ------------------------------------------------------------------------

SERVER_HOST = "127.0.0.2"  # the server listens here and the client connects from CLIENT_HOST,
CLIENT_HOST = "127.0.0.3"  # so the client's address is a value no start-up line prints


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """`privacy-qa serve` (2 workers, debug logs, JSON) on a free port; (host, port, its log)."""
    with serve(
        None,
        tmp_path,
        workers=2,
        log_level="debug",
        PRIVACY_QA_HOST=SERVER_HOST,
        PRIVACY_QA_API_KEYS=API_KEY,
    ) as url:
        yield SERVER_HOST, int(url.rsplit(":", 1)[1]), tmp_path / "server.log"


def _request(
    host: str,
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    kind: str | None,
) -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, port, timeout=30, source_address=(CLIENT_HOST, 0))
    try:
        more = {"Content-Type": kind} if kind else {}
        connection.request(method, path, body=body, headers={**headers, **more})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.mark.slow
def test_a_real_server_logs_json_with_no_address_question_name_or_email(
    server: tuple[str, int, Path], client: TestClient
) -> None:
    host, port, stderr = server
    routes = every_route(client.app)  # type: ignore[arg-type]

    def send(
        method: str, path: str, headers: dict[str, str], body: bytes | None, kind: str | None
    ) -> tuple[int, str]:
        return _request(host, port, method, path, headers, body, kind)

    visit_everything(routes, send)

    def logged_routes() -> set[tuple[str, str]] | None:
        lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.strip()]
        seen = {(x["method"], x["route"]) for x in lines if x["logger"] == "web.middleware.access"}
        return seen if set(routes) <= seen else None

    # Every line is a JSON object (json.loads would fail), and every route left a line.
    wait_for(logged_routes, timeout=10, what="an access-log line for every route")
    text = stderr.read_text()
    assert "Uvicorn running on" in text  # the server's own lines are there too
    assert_no_canary(text, "the server's stderr")
    assert CLIENT_HOST not in text, "the client's address was logged"
