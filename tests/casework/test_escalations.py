"""Escalation to privacy@: the question, what the policy says, and Reply-To the visitor."""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.casework.history import cli_actor
from qa.cli.main import main
from qa.settings import Settings
from qa.storage.schema import outbox
from tests.support.casework import API_KEY, PRIVACY, MailSink, casework_settings, local
from tests.support.routes import hidden_token
from web.app import create_app

URL = "/api/escalations"


def test_escalation_reaches_privacy_team_with_sections_and_reply_to(
    desk: TestClient, smtp: MailSink
) -> None:
    response = desk.post(
        URL,
        json={
            "question": "Can I see the list of your subprocessors?",
            "transcript": [{"question": "who do you share data with?", "answer": "Here is..."}],
            "email": "visitor@example.com",
            "consent": True,
        },
    )
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    assert reference.startswith("ESC-") and reference.endswith("-000001")
    [mail] = smtp.wait(1, to=PRIVACY)
    assert mail.message["Reply-To"] == "visitor@example.com"
    assert reference in str(mail.message["Subject"])
    assert "Can I see the list of your subprocessors?" in mail.body
    assert "who do you share data with?" in mail.body
    assert "http://testserver/policy#" in mail.body  # the sections the assistant found
    assert f"privacy-qa escalations reply {reference}" in mail.body  # how to answer the case


def test_escalation_without_email_has_no_reply_to(desk: TestClient, smtp: MailSink) -> None:
    response = desk.post(URL, json={"question": "Do you use my data to train AI models?"})
    assert response.status_code == 201
    [mail] = smtp.wait(1, to=PRIVACY)
    assert mail.message["Reply-To"] is None
    assert "no address" in mail.body


def test_escalation_is_idempotent(desk: TestClient, smtp: MailSink) -> None:
    headers = {"Idempotency-Key": "esc-1"}
    body = {"question": "Who is your DPO?"}
    first = desk.post(URL, json=body, headers=headers)
    second = desk.post(URL, json=body, headers=headers)
    assert first.json() == second.json()
    smtp.wait(1, to=PRIVACY)
    assert desk.post(URL, json={"question": "Other"}, headers=headers).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "Q", "email": "visitor@example.com"}, "consent"),
        ({"question": "Q", "email": "visitor@example.com", "consent": False}, "consent"),
        ({"question": "Q", "email": "visitor@example.com", "consent": "yes"}, "consent"),
        ({"question": "Q", "email": "not-an-address", "consent": True}, "email"),
        (
            {"question": "Q", "email": "a@example.com\r\nBcc: e@example.com", "consent": True},
            "email",
        ),
        ({"question": "Q", "transcript": "hello"}, "transcript"),
        ({"question": "Q", "transcript": [{"question": "q"}] * 11}, "transcript"),
        ({"question": "Q", "transcript": [{"answer": "a"}]}, "transcript.0.question"),
        ({"question": "Q", "colour": "blue"}, "colour"),
    ],
)
def test_bad_escalation_input_gets_422_naming_the_field(
    desk: TestClient, body: dict[str, Any], field: str
) -> None:
    response = desk.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_visitor_lines_in_the_mail_are_quoted_and_cannot_pose_as_ours(
    desk: TestClient, smtp: MailSink
) -> None:
    forged = "Reply to this e-mail to answer the visitor (boss@evil.example).\nReference: ESC-1"
    response = desk.post(
        URL,
        json={
            "question": f"Where is my data?\n{forged}",
            "transcript": [{"question": f"hi\u2028{forged}", "answer": f"ok\n{forged}"}],
        },
    )
    assert response.status_code == 201
    [mail] = smtp.wait(1, to=PRIVACY)
    lines = mail.body.splitlines()
    # Each forged line arrives, but only behind the quote mark.
    assert lines.count("> Reply to this e-mail to answer the visitor (boss@evil.example).") == 3
    assert not any(
        line.startswith(("Reply to this e-mail to answer", "Reference: ESC-1")) for line in lines
    )
    assert "The visitor gave no address for a reply." in lines


# -- escalations are cases ------------------------------------------------------------------

SUPPORT = "/api/support/escalations"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
HOSTILE = '<script>alert("x")</script> & <b>bold</b>\nSecond line'


def _escalate(desk: TestClient, **body: Any) -> dict[str, Any]:
    response = desk.post(URL, json={"question": "Who is your DPO?", **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_reply_is_mailed_to_the_visitor_and_shown_escaped_on_their_status_page(
    desk: TestClient, smtp: MailSink
) -> None:
    sent = _escalate(desk, email="visitor@example.com", consent=True)
    reference = sent["reference"]
    assert sent["reply_time"] == "within 2 business days"
    assert desk.get(local(sent["status_url"])).status_code == 200
    page = desk.get(local(sent["status_url"]))
    assert "No reply yet. The privacy team replies within 2 business days." in page.text
    assert page.headers["cache-control"] == "no-store"
    smtp.wait(1, to=PRIVACY)
    replied = desk.post(f"{SUPPORT}/{reference}/reply", json={"text": HOSTILE}, headers=AUTH)
    assert replied.status_code == 200, replied.text
    body = replied.json()
    assert body["status"] == "answered" and body["mailed"] is True
    assert [r["text"] for r in body["replies"]] == [HOSTILE]
    [mail] = smtp.wait(1, to="visitor@example.com")
    assert str(mail.message["Subject"]) == f"Answer to your question {reference}"
    assert mail.message["Reply-To"] == PRIVACY
    text = mail.body.replace("\r\n", "\n")
    assert HOSTILE in text and "> Who is your DPO?" in text
    page = desk.get(local(sent["status_url"]))
    assert "<script>alert" not in page.text and "<b>bold</b>" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold" in page.text
    assert "Answered (see below)" in page.text
    status = desk.get(local(sent["api_url"])).json()
    assert status["status"] == "answered" and status["replies"][0]["text"] == HOSTILE
    assert "question" not in status and "email" not in status  # the visitor's page: the case
    actions = [(c["actor"], c["action"], c["details"]) for c in body["history"]]
    assert actions == [
        ("requester", "created", {"new_status": "open"}),
        (
            "key-" + hashlib.sha256(API_KEY.encode()).hexdigest()[:8],
            "replied",
            {"old_status": "open", "new_status": "answered", "reply_sent": True, "mailed": True},
        ),
    ]


def test_reply_without_an_address_is_only_on_the_status_page(
    desk: TestClient, smtp: MailSink
) -> None:
    sent = _escalate(desk)
    replied = desk.post(
        f"{SUPPORT}/{sent['reference']}/reply", json={"text": "We have no DPO."}, headers=AUTH
    )
    assert replied.status_code == 200 and replied.json()["mailed"] is False
    store = desk.app.state.services.store  # type: ignore[attr-defined]
    with store.read() as conn:
        kinds = list(conn.execute(sa.select(outbox.c.kind)).scalars())
    assert kinds == ["escalation"]  # privacy@'s mail only: none queued for the visitor
    assert "We have no DPO." in desk.get(local(sent["status_url"])).text


def test_the_team_changes_status_assignee_and_notes(desk: TestClient, smtp: MailSink) -> None:
    reference = _escalate(desk)["reference"]
    path = f"{SUPPORT}/{reference}"
    assigned = desk.patch(path, json={"assignee": "alice", "note": "Ask legal"}, headers=AUTH)
    assert assigned.status_code == 200, assigned.text
    case = assigned.json()
    assert case["assignee"] == "alice" and "Ask legal" in case["notes"]
    assert case["status"] == "open"
    closed = desk.patch(path, json={"status": "closed", "assignee": ""}, headers=AUTH).json()
    assert closed["status"] == "closed" and closed["assignee"] is None
    assert [c["action"] for c in closed["history"]] == ["created", "assigned", "status_changed"]
    assert closed["history"][2]["details"] == {
        "old_status": "open",
        "new_status": "closed",
        "assignee": "",
    }
    listed = desk.get(SUPPORT, headers=AUTH).json()["items"][0]
    assert listed["status"] == "closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"status": "answered-ish"}, "status"),
        ({"status": None}, "status"),
        ({"assignee": "ana@example.com"}, "assignee"),
        ({"assignee": "x" * 65}, "assignee"),
        ({"note": ""}, "note"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_escalation_changes_get_422_naming_the_field(
    desk: TestClient, smtp: MailSink, body: dict[str, Any], field: str
) -> None:
    reference = _escalate(desk)["reference"]
    response = desk.patch(f"{SUPPORT}/{reference}", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_replies_and_changes_to_unknown_or_erased_escalations_are_refused(
    desk: TestClient, smtp: MailSink
) -> None:
    unknown = desk.post(f"{SUPPORT}/ESC-2026-999999/reply", json={"text": "Hi"}, headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "reference"
    assert desk.get(f"{SUPPORT}/ESC-2026-999999", headers=AUTH).status_code == 404
    blank = desk.post(f"{SUPPORT}/ESC-2026-999999/reply", json={"text": "  "}, headers=AUTH)
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "text"
    sent = _escalate(desk, email="gone@example.com", consent=True)
    desk.post("/api/support/erase", json={"email": "gone@example.com"}, headers=AUTH)
    reply = desk.post(f"{SUPPORT}/{sent['reference']}/reply", json={"text": "Hi"}, headers=AUTH)
    assert reply.status_code == 409 and "erased" in reply.json()["error"]["message"]
    assert desk.get(local(sent["status_url"])).status_code == 404
    assert desk.get(local(sent["api_url"])).status_code == 404


def test_status_page_needs_the_right_token(desk: TestClient, smtp: MailSink) -> None:
    sent = _escalate(desk)
    for url in (sent["status_url"], sent["api_url"]):
        wrong = local(url).rsplit("=", 1)[0] + "=guess"
        assert desk.get(wrong).status_code == 404
    other = local(sent["status_url"]).replace(sent["reference"], "ESC-2026-999999")
    assert desk.get(other).status_code == 404
    assert desk.get(local(sent["api_url"]).split("?")[0]).status_code == 422  # no token


def test_escalation_records_the_policy_and_the_sections_the_visitor_was_shown(
    desk: TestClient, smtp: MailSink
) -> None:
    question = "How long do you keep my data?"
    answer = desk.post("/api/ask", json={"question": question}).json()
    reference = _escalate(desk, question=question)["reference"]
    case = desk.get(f"{SUPPORT}/{reference}", headers=AUTH).json()
    assert case["policy"] == {
        "document": answer["policy"]["document"],
        "version": answer["policy"]["version"],
        "last_updated": answer["policy"]["last_updated"],
    }
    assert case["sections"] == [s["id"] for s in answer["sections"]]
    assert "data-retention" in case["sections"]


def test_the_escalation_form_says_when_they_reply_and_links_the_status_page(
    tmp_path: Any, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(tmp_path, database_url, smtp, reply_time="by next Friday")
    with TestClient(create_app(settings, assistant=assistant)) as client:
        page = client.get("/escalations/new")
        data = {"token": hidden_token(page.text), "question": "Do you use AI?"}
        sent = client.post("/escalations/new", data=data)
        assert sent.status_code == 200
        assert "their reply (by next Friday) will be on your status page" in sent.text
        link = re.search(r'class="status-link" href="([^"]+)"', sent.text)
        assert link is not None
        status = client.get(html.unescape(link.group(1)))
        assert (
            status.status_code == 200 and "The privacy team replies by next Friday" in status.text
        )
        api = client.post(URL, json={"question": "Do you use AI?"}).json()
        assert api["reply_time"] == "by next Friday"


def test_escalation_commands_list_show_update_and_reply(
    commands: Settings, smtp: MailSink, assistant: Assistant, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = commands
    with TestClient(create_app(settings, assistant=assistant)) as client:
        sent = client.post(URL, json={"question": "Q?", "email": "v@example.com", "consent": True})
        reference = sent.json()["reference"]
    assert main(["escalations", "update", reference, "--assignee", "bob"]) == 0
    assert main(["escalations", "reply", reference, "Here is our answer."]) == 0
    assert "mailed to the visitor" in capsys.readouterr().out
    [mail] = smtp.wait(1, to="v@example.com")
    assert "Here is our answer." in mail.body
    assert main(["escalations", "list", "--status", "answered"]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"{reference}\s+answered\s+bob\s+1", out) and "1 escalation(s)" in out
    assert main(["escalations", "list", "--status", "closed"]) == 0
    assert "0 escalation(s)" in capsys.readouterr().out
    assert main(["escalations", "show", reference]) == 0
    out = capsys.readouterr().out
    actor = cli_actor()
    assert "Here is our answer." in out
    assert re.search(rf"{re.escape(actor)}\s+assigned\s+assignee=bob", out)
    assert re.search(rf"{re.escape(actor)}\s+replied\s+old_status=open", out)
