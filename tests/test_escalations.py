"""Escalation to privacy@: the question, what the policy says, and Reply-To the visitor."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.casework import PRIVACY, MailSink

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
