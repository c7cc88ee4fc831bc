"""The support API: keys, listing, status changes and their rules, batch answers, erasure."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.settings import Settings
from tests.support.casework import API_KEY, PRIVACY, MailSink, link_in, rights_body
from web.app import create_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}
SUPPORT = "/api/support/rights-requests"


def _submit(desk: TestClient, **changes: Any) -> str:
    response = desk.post("/api/rights-requests", json=rights_body(**changes))
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


def _verified(desk: TestClient, smtp: MailSink, email: str = "ana@example.com") -> str:
    reference = _submit(desk, email=email)
    [mail] = smtp.wait(1, to=email)
    assert desk.get(link_in(mail, "/rights-requests/verify")).status_code == 200
    return reference


def _patch(desk: TestClient, reference: str, **body: Any) -> Any:
    return desk.patch(f"{SUPPORT}/{reference}", json=body, headers=AUTH)


def test_support_api_is_off_with_no_keys_and_says_how_to_enable_it(
    tmp_path: Path, assistant: Assistant
) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), assistant=assistant)) as client:
        response = client.get(SUPPORT, headers=AUTH)
    assert response.status_code == 403
    assert "PRIVACY_QA_API_KEYS" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-key-0123456789"}, {"Authorization": f"Basic {API_KEY}"}],
)
def test_missing_or_wrong_key_gets_401_with_www_authenticate(
    desk: TestClient, headers: dict[str, str]
) -> None:
    for method, path in (
        ("GET", SUPPORT),
        ("GET", f"{SUPPORT}/RR-2026-000001"),
        ("PATCH", f"{SUPPORT}/RR-2026-000001"),
        ("GET", "/api/support/escalations"),
        ("GET", "/api/support/escalations/ESC-2026-000001"),
        ("PATCH", "/api/support/escalations/ESC-2026-000001"),
        ("POST", "/api/support/escalations/ESC-2026-000001/reply"),
        ("POST", "/api/support/ask"),
        ("POST", "/api/support/erase"),
    ):
        response = desk.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthorized"


def test_list_filters_by_status_and_due_date_soonest_first(
    desk: TestClient, smtp: MailSink
) -> None:
    gdpr = _submit(desk, jurisdiction="gdpr", email="a@example.com")
    ccpa = _submit(desk, jurisdiction="ccpa", email="b@example.com")
    opt_out = _submit(desk, right="opt_out", jurisdiction="ccpa", email="c@example.com")
    items = desk.get(SUPPORT, headers=AUTH).json()["items"]
    dues = [i["due_at"] for i in items]
    assert dues == sorted(dues)
    assert {i["reference"] for i in items} == {gdpr, ccpa, opt_out}
    assert items[0]["email"]  # the team sees the requester's data
    received = desk.get(SUPPORT, params={"status": "received"}, headers=AUTH).json()["items"]
    assert len(received) == 3
    assert desk.get(SUPPORT, params={"status": "completed"}, headers=AUTH).json()["items"] == []
    soonest = min(dues)
    before = desk.get(
        SUPPORT,
        params={"due_before": (date.fromisoformat(soonest) + timedelta(days=1)).isoformat()},
        headers=AUTH,
    ).json()["items"]
    assert [i["due_at"] for i in before] == [soonest]
    bad = desk.get(SUPPORT, params={"status": "lost"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    bad_date = desk.get(SUPPORT, params={"due_before": "31/01/2026"}, headers=AUTH)
    assert bad_date.status_code == 422 and bad_date.json()["error"]["field"] == "due_before"


def test_status_moves_through_the_allowed_transitions(desk: TestClient, smtp: MailSink) -> None:
    reference = _verified(desk, smtp)
    request = desk.get(f"{SUPPORT}/{reference}", headers=AUTH).json()
    assert request["status"] == "verified"
    assert set(request["allowed_statuses"]) == {
        "in_progress",
        "extended",
        "completed",
        "denied",
        "withdrawn",
    }
    assert _patch(desk, reference, status="in_progress").json()["status"] == "in_progress"
    extended = _patch(desk, reference, status="extended", reason="Data held in three systems")
    assert extended.status_code == 200
    data = extended.json()
    assert data["due_at"] == data["latest_due_at"] != data["original_due_at"]
    assert data["extension_reason"] == "Data held in three systems"
    # The requester hears of each change: in progress, then the extension and its reason.
    notices = smtp.wait(2, to="ana@example.com", kind="Your privacy request")
    assert any("Data held in three systems" in n.body for n in notices)
    completed = _patch(desk, reference, status="completed", note="Sent the export")
    assert completed.json()["status"] == "completed"
    assert "Sent the export" in completed.json()["notes"]
    assert completed.json()["closed_at"]
    again = _patch(desk, reference, status="in_progress")
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "status"


def test_rules_refuse_unverified_work_second_extension_and_reasonless_denial(
    desk: TestClient, smtp: MailSink
) -> None:
    unverified = _submit(desk, email="u@example.com")
    assert _patch(desk, unverified, status="in_progress").status_code == 409
    reference = _verified(desk, smtp)
    no_reason = _patch(desk, reference, status="extended")
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    assert _patch(desk, reference, status="extended", reason="Complex").status_code == 200
    twice = _patch(desk, reference, status="in_progress")
    assert twice.status_code == 200
    second = _patch(desk, reference, status="extended", reason="Still complex")
    assert second.status_code == 409
    denial = _patch(desk, reference, status="denied")
    assert denial.status_code == 422 and denial.json()["error"]["field"] == "reason"
    denied = _patch(desk, reference, status="denied", reason="Manifestly unfounded")
    assert denied.json()["reason"] == "Manifestly unfounded"
    empty = _patch(desk, reference)
    assert empty.status_code == 422
    unknown = _patch(desk, "RR-1999-000001", note="x")
    assert unknown.status_code == 404


def test_opt_out_may_be_worked_on_without_verification(desk: TestClient) -> None:
    reference = _submit(desk, right="opt_out", jurisdiction="ccpa")
    assert _patch(desk, reference, status="completed").json()["status"] == "completed"


def test_escalations_list_and_batch_ask(desk: TestClient, smtp: MailSink) -> None:
    sent = desk.post(
        "/api/escalations",
        json={"question": "Who are your subprocessors?", "email": "v@example.com", "consent": True},
    )
    assert sent.status_code == 201
    items = desk.get("/api/support/escalations", headers=AUTH).json()["items"]
    assert [i["reference"] for i in items] == [sent.json()["reference"]]
    assert items[0]["email"] == "v@example.com"
    answers = desk.post(
        "/api/support/ask",
        json={"questions": ["How long do you keep my data?", "Do you sell my data?"]},
        headers=AUTH,
    )
    assert answers.status_code == 200
    body = answers.json()["answers"]
    assert [a["question"] for a in body] == [
        "How long do you keep my data?",
        "Do you sell my data?",
    ]
    assert all(a["sections"] for a in body)
    direct = desk.post("/api/ask", json={"question": "How long do you keep my data?"}).json()
    assert body[0]["sections"][0]["id"] == direct["sections"][0]["id"]  # one answer path
    empty = desk.post("/api/support/ask", json={"questions": []}, headers=AUTH)
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "questions"


def test_erasure_removes_one_requesters_data_everywhere(desk: TestClient, smtp: MailSink) -> None:
    mine = _verified(desk, smtp)
    other = _submit(desk, email="other@example.com", name="Other Person")
    desk.post(
        "/api/escalations",
        json={"question": "Ask", "email": "ana@example.com", "consent": True},
    )
    smtp.wait(1, to=PRIVACY, kind="Question")
    erased = desk.post("/api/support/erase", json={"email": "ANA@example.com"}, headers=AUTH)
    assert erased.status_code == 200
    assert erased.json()["rights_requests"] == 1 and erased.json()["escalations"] == 1
    record = desk.get(f"{SUPPORT}/{mine}", headers=AUTH).json()
    assert record["name"] is None and record["email"] is None and record["details"] is None
    assert record["erased_at"] and record["status"] == "verified"  # the skeleton stays
    assert desk.get(f"{SUPPORT}/{other}", headers=AUTH).json()["email"] == "other@example.com"
    escalation = desk.get("/api/support/escalations", headers=AUTH).json()["items"][0]
    assert escalation["email"] is None and escalation["question"] is None
