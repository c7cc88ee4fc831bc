"""The JSON API through the real app in-process: answers, policy, contact, health, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.settings import Settings
from tests.conftest import DATA
from web.app import create_app

ANSWER_FIELDS = {"question", "answered", "confidence", "message", "intents", "sections"}
ANSWER_FIELDS |= {"actions", "policy", "kind", "suggestions", "corrections"}
SECTION_FIELDS = {"id", "document", "heading", "url", "score", "snippet", "highlights"}
SECTION_FIELDS |= {"markdown", "html", "example", "card"}
ERROR_FIELDS = {"status", "code", "message", "field", "fields"}


def assert_answer_shape(data: dict[str, Any]) -> None:
    """Every field the issue promises is present, with the right types."""
    assert set(data) >= ANSWER_FIELDS
    assert isinstance(data["answered"], bool)
    assert 0.0 <= data["confidence"] <= 1.0
    assert isinstance(data["message"], str) and data["message"]
    assert all(isinstance(i, str) for i in data["intents"])
    for section in data["sections"]:
        assert set(section) >= SECTION_FIELDS
        for h in section["highlights"]:
            assert section["snippet"][h["start"] : h["end"]] == h["text"]
    for action in data["actions"]:
        assert {"kind", "label", "url"} <= set(action)
    assert {"title", "last_updated", "version"} <= set(data["policy"])


def assert_error(response: Any, status: int, field: str | None) -> dict[str, Any]:
    """The one error shape: {"error": {status, code, message, field, fields}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == ERROR_FIELDS
    assert error["status"] == status
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], list)
    if field is not None:
        assert error["field"] == field
        assert field in error["message"]
    return error


def test_post_ask_answers_with_every_field(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "How long do you keep my data?"})
    assert response.status_code == 200
    data = response.json()
    assert_answer_shape(data)
    assert data["question"] == "How long do you keep my data?"
    assert data["answered"] is True
    assert data["sections"][0]["id"] == "data-retention"
    assert data["sections"][0]["url"] == "/policy#data-retention"
    assert [a["kind"] for a in data["actions"]][:2] == ["contact", "rights_request"]
    assert data["policy"]["title"] == "Privacy Policy"
    assert data["policy"]["last_updated"] == "January, 2024"


def test_get_ask_gives_the_same_answer_as_post(widgets_client: TestClient) -> None:
    question = "how long do you keep order records"
    posted = widgets_client.post("/api/ask", json={"question": question, "top_k": 2}).json()
    got = widgets_client.get("/api/ask", params={"q": question, "top_k": 2}).json()
    assert got == posted
    assert len(got["sections"]) == 2


def test_ask_reports_a_detected_right_in_the_rights_request_action(
    widgets_client: TestClient,
) -> None:
    data = widgets_client.post(
        "/api/ask", json={"question": "How do I withdraw my consent?"}
    ).json()
    assert data["intents"] == ["rights:withdraw_consent"]
    request = next(a for a in data["actions"] if a["kind"] == "rights_request")
    assert request == {
        "kind": "rights_request",
        "label": request["label"],
        "url": "/rights-requests/new?right=withdraw_consent",
        "right": "withdraw_consent",
    }


def test_a_weak_match_is_declined_with_related_sections_and_escalation(
    widgets_client: TestClient,
) -> None:
    data = widgets_client.get(
        "/api/ask", params={"q": "do you share my shoe size with partners"}
    ).json()
    assert_answer_shape(data)
    assert (data["answered"], data["kind"]) == (False, "related") and data["sections"]
    assert "escalate" in [a["kind"] for a in data["actions"]]


def test_off_topic_question_is_declined_with_no_sections(widgets_client: TestClient) -> None:
    data = widgets_client.get("/api/ask", params={"q": "what colour are your garden gnomes"}).json()
    assert_answer_shape(data)
    assert (data["answered"], data["kind"], data["sections"]) == (False, "off_topic", [])


def test_a_greeting_gets_suggestions_and_no_escalation(widgets_client: TestClient) -> None:
    data = widgets_client.get("/api/ask", params={"q": "hello"}).json()
    assert_answer_shape(data)
    assert data["kind"] == "social" and data["suggestions"]
    assert "escalate" not in [a["kind"] for a in data["actions"]]


def test_a_practice_the_policy_never_mentions_is_named_as_silence(
    widgets_client: TestClient,
) -> None:
    data = widgets_client.get("/api/ask", params={"q": "is my data stored in the EU?"}).json()
    assert (data["answered"], data["kind"]) == (False, "silent")
    assert data["message"].startswith("Our privacy policy does not say where personal data")
    assert "escalate" in [a["kind"] for a in data["actions"]]


def test_policy_lists_metadata_and_sections(widgets_client: TestClient) -> None:
    data = widgets_client.get("/api/policy").json()
    assert data["name"] == "widgets-policy"
    assert data["title"] == "Widgets Privacy Notice"
    assert data["authors"] == ["Privacy Office"]
    assert data["last_updated"] == "March 3, 2025"
    assert data["date"].startswith("2024-02-01")
    assert len(data["version"]) == 16
    assert data["url"] == "/policy"
    assert data["documents"] == ["widgets-policy"]
    by_id = {s["id"]: s for s in data["sections"]}
    assert by_id["your-rights"] == {  # with its ### Withdrawing Consent inside it
        "id": "your-rights",
        "heading": "Your Rights",
        "path": ["Your Rights"],
        "level": 2,
        "url": "/policy#your-rights",
    }
    assert data["sections"][0]["id"] == "preamble"


def test_policy_section_gives_markdown_and_safe_html(widgets_client: TestClient) -> None:
    data = widgets_client.get("/api/policy/sections/cookies").json()
    assert data["id"] == "cookies" and data["document"] == "widgets-policy"
    assert data["markdown"].startswith("Our shop sets cookies")
    assert data["html"].startswith("<p>Our shop sets cookies")


def test_contact_is_the_card_from_the_policy(widgets_client: TestClient) -> None:
    assert widgets_client.get("/api/contact").json() == {
        "organisation": "Example Widgets Ltd",
        "address": ["12 Orchard Lane", "Bristol BS1 4AA", "United Kingdom"],
        "phone": "+44 117 496 0123",
        "email": "privacy@widgets.example",
        "website": "https://widgets.example",
        "section_id": "contact-us",
    }


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/ask", "/api/policy", "/api/policy/sections/{section_id}", "/api/contact"):
        assert path in spec["paths"]
    assert spec["paths"]["/api/ask"]["post"]["description"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text


def test_several_documents_answer_naming_their_document(acme_client: TestClient) -> None:
    data = acme_client.post(
        "/api/ask", json={"question": "how do I block cookies in my browser"}
    ).json()
    top = data["sections"][0]
    assert top["document"] == "cookie-policy"
    assert top["url"] == "/policy/cookie-policy#managing-cookies"
    assert data["policy"]["title"] == "Acme Cookie Policy"
    only = acme_client.get(
        "/api/ask", params={"q": "keep account records cookies", "document": "privacy-policy"}
    ).json()
    assert only["sections"] and {s["document"] for s in only["sections"]} == {"privacy-policy"}
    cookies = acme_client.get("/api/policy", params={"document": "cookie-policy"}).json()
    assert cookies["url"] == "/policy/cookie-policy"
    assert cookies["documents"] == ["privacy-policy", "cookie-policy"]
    section = acme_client.get(
        "/api/policy/sections/analytics-cookies", params={"document": "cookie-policy"}
    ).json()
    assert section["url"] == "/policy/cookie-policy#analytics-cookies"


def chunks(size: int, piece: int = 4096) -> Iterator[bytes]:
    """A request body sent with Transfer-Encoding: chunked (no Content-Length)."""
    yield b'{"question": "'
    for _ in range(size // piece):
        yield b"a" * piece
    yield b'"}'


JSON = {"content-type": "application/json"}

BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str | None]] = [
    ("POST", "/api/ask", {"json": {"question": ""}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": "  \t\n "}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": "a" * 501}}, 422, "question"),
    ("POST", "/api/ask", {"json": {}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": 5}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": None}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": "x", "top_k": 0}}, 422, "top_k"),
    ("POST", "/api/ask", {"json": {"question": "x", "top_k": 21}}, 422, "top_k"),
    ("POST", "/api/ask", {"json": {"question": "x", "top_k": "many"}}, 422, "top_k"),
    ("POST", "/api/ask", {"json": {"question": "x", "top_k": 2.5}}, 422, "top_k"),
    ("POST", "/api/ask", {"json": {"question": "x", "top_k": True}}, 422, "top_k"),
    ("POST", "/api/ask", {"json": {"question": "x", "document": 5}}, 422, "document"),
    ("POST", "/api/ask", {"json": {"question": "x", "mood": "calm"}}, 422, "mood"),
    ("POST", "/api/ask", {"json": {"question": "x", "document": "nope"}}, 404, "document"),
    ("POST", "/api/ask", {"json": ["how long do you keep my data"]}, 422, "body"),
    ("POST", "/api/ask", {"json": "how long"}, 422, "body"),
    ("POST", "/api/ask", {"json": None}, 422, "body"),
    ("POST", "/api/ask", {"content": b"null", "headers": JSON}, 422, "body"),
    ("POST", "/api/ask", {"content": b"42", "headers": JSON}, 422, "body"),
    ("POST", "/api/ask", {"content": b"how long?", "headers": JSON}, 422, "body"),
    ("POST", "/api/ask", {"content": b'{"question": "x"', "headers": JSON}, 422, "body"),
    ("POST", "/api/ask", {"content": b'{"question": "\xff"}', "headers": JSON}, 422, "body"),
    ("POST", "/api/ask", {}, 422, "body"),
    ("POST", "/api/ask", {"content": b"a" * 70_000, "headers": JSON}, 413, "body"),
    ("POST", "/api/ask", {"content": chunks(70_000), "headers": JSON}, 413, "body"),
    ("GET", "/api/ask", {}, 422, "q"),
    ("GET", "/api/ask", {"params": {"q": ""}}, 422, "q"),
    ("GET", "/api/ask", {"params": {"q": "   "}}, 422, "q"),
    ("GET", "/api/ask", {"params": {"q": "a" * 501}}, 422, "q"),
    ("GET", "/api/ask", {"params": {"q": "x", "top_k": "0"}}, 422, "top_k"),
    ("GET", "/api/ask", {"params": {"q": "x", "top_k": "21"}}, 422, "top_k"),
    ("GET", "/api/ask", {"params": {"q": "x", "top_k": "three"}}, 422, "top_k"),
    ("GET", "/api/ask", {"params": {"q": "x", "document": "nope"}}, 404, "document"),
    ("GET", "/api/policy", {"params": {"document": "nope"}}, 404, "document"),
    ("GET", "/api/policy/sections/nope", {}, 404, "section"),
    ("GET", "/api/policy/sections/cookies", {"params": {"document": "nope"}}, 404, "document"),
    ("GET", "/policy/nope", {}, 404, "document"),
    ("GET", "/no/such/route", {}, 404, None),
    ("PUT", "/api/ask", {}, 405, None),
    ("DELETE", "/api/policy", {}, 405, None),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "field"),
    BAD_REQUESTS,
    ids=[f"{m} {p} {s} {f}" for m, p, _, s, f in BAD_REQUESTS],
)
def test_bad_input_gets_a_4xx_in_the_one_error_shape_naming_the_field(
    widgets_client: TestClient,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    response = widgets_client.request(method, path, **kwargs)
    error = assert_error(response, status, field)
    assert 400 <= error["status"] < 500


def test_validation_errors_list_every_bad_field(widgets_client: TestClient) -> None:
    response = widgets_client.post("/api/ask", json={"question": "", "top_k": 99, "extra": 1})
    error = assert_error(response, 422, "question")
    assert {f["field"] for f in error["fields"]} == {"question", "top_k", "extra"}
    assert all(f["message"].startswith(f["field"] + ":") for f in error["fields"])


def test_error_messages_say_how_to_fix_the_input(widgets_client: TestClient) -> None:
    error = widgets_client.post("/api/ask", json={"question": "x", "top_k": 0}).json()["error"]
    assert "1 to 20" in error["message"]
    error = widgets_client.post("/api/ask", json={"question": "x", "document": "nope"}).json()[
        "error"
    ]
    assert "widgets-policy" in error["message"]
    for body in (b"[1]", b"null", b"42"):
        response = widgets_client.post("/api/ask", content=body, headers=JSON)
        assert "must be a JSON object" in response.json()["error"]["message"], body


def test_no_input_in_the_bad_request_list_causes_a_server_error(tmp_path: Path) -> None:
    settings = Settings(policy=DATA / "widgets-policy.md", data_dir=tmp_path)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as raw:
        for method, path, kwargs, _, _ in BAD_REQUESTS:
            if "content" in kwargs and not isinstance(kwargs["content"], bytes):
                kwargs = {**kwargs, "content": chunks(70_000)}  # a generator runs only once
            assert raw.request(method, path, **kwargs).status_code < 500, (method, path)


def test_questions_with_markup_and_odd_characters_are_answered(widgets_client: TestClient) -> None:
    for question in ("<script>alert(1)</script>", "cookies\x00?", "🍪 cookies", "a" * 500):
        response = widgets_client.post("/api/ask", json={"question": question})
        assert response.status_code == 200
        assert response.json()["question"] == question
