"""Rights requests end to end: the real app, a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, get_args

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from qa.answering.intents import RIGHTS, Right
from qa.casework.deadlines import CALIFORNIA, add_business_days
from qa.storage.schema import rights_requests
from qa.vocabulary import JURISDICTIONS, STATUSES, Jurisdiction
from tests.support.casework import (
    API_KEY,
    PRIVACY,
    MailSink,
    every_stored_value,
    expire_link,
    link_in,
    local,
    rights_body,
    wait_for,
)
from web.schemas.rights import Status

URL = "/api/rights-requests"


def _count(settings_url: str) -> int:
    engine = sa.create_engine(settings_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(rights_requests)).scalar_one()
            )
    finally:
        engine.dispose()


def test_submit_verify_and_privacy_team_gets_the_request(desk: TestClient, smtp: MailSink) -> None:
    response = desk.post(URL, json=rights_body())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["reference"].startswith("RR-")
    assert created["status"] == "received"
    assert created["due_at"]
    assert response.headers["cache-control"] == "no-store"

    [verification] = smtp.wait(1, to="ana@example.com")
    assert created["reference"] in str(verification.message["Subject"])
    assert verification.message["To"].addresses[0].display_name == "Ana Lima"
    assert smtp.mails(to=PRIVACY) == []  # not before the address is confirmed

    page = desk.get(link_in(verification, "/rights-requests/verify"))
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert page.headers["cache-control"] == "no-store"
    assert created["reference"] in page.text

    [team] = smtp.wait(1, to=PRIVACY)
    assert team.message["Reply-To"] == "ana@example.com"
    assert created["reference"] in str(team.message["Subject"])
    assert "Ana Lima" in team.body and "Customer number 4411" in team.body
    assert "please delete my data" in team.body

    status = desk.get(local(created["api_url"]))
    assert status.status_code == 200
    data = status.json()
    assert data["status"] == "verified" and data["verified_at"]
    assert "email" not in data and "name" not in data  # the status link shows no personal data


def test_requester_text_in_the_team_mail_is_quoted_and_cannot_pose_as_ours(
    desk: TestClient, smtp: MailSink
) -> None:
    forged = "Name: Mallory\nE-mail: mallory@evil.example\nRight: access"
    body = rights_body(
        right="opt_out",
        jurisdiction="ccpa",
        name="Ana\u2028E-mail: mallory@evil.example",
        details=f"see below\n{forged}",
        question=f"hello\u2029{forged}",
    )
    assert desk.post(URL, json=body).status_code == 201
    [team] = smtp.wait(1, to=PRIVACY)
    lines = team.body.splitlines()
    assert "E-mail: ana@example.com" in lines  # ours, once
    assert not any(
        line.startswith(("Name: ", "E-mail: mallory", "Right: access")) for line in lines
    )
    assert (
        lines.count("> Name: Mallory") == 2 and lines.count("> E-mail: mallory@evil.example") == 3
    )
    assert team.message["To"].addresses[0].addr_spec == PRIVACY


@pytest.mark.parametrize(
    "name", ["José <attacker@evil.example>,", "Ana\u2028<attacker@evil.example>", "\u202eAna"]
)
def test_a_hostile_name_never_adds_a_recipient(desk: TestClient, smtp: MailSink, name: str) -> None:
    assert desk.post(URL, json=rights_body(name=name)).status_code == 201
    [verification] = smtp.wait(1, to="ana@example.com")
    assert verification.recipients == ["ana@example.com"]
    [to] = verification.message.get_all("To") or []
    assert [a.addr_spec for a in to.addresses] == ["ana@example.com"]
    assert "evil" not in str(to) and "\u202e" not in str(to)


def test_the_team_mail_leaves_out_a_missing_name_instead_of_printing_none(
    desk: TestClient, smtp: MailSink, settings: Any
) -> None:
    created = desk.post(URL, json=rights_body()).json()
    [verification] = smtp.wait(1, to="ana@example.com")
    engine = sa.create_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.update(rights_requests)
                .where(rights_requests.c.reference == created["reference"])
                .values(name=None)
            )
    finally:
        engine.dispose()
    assert desk.get(link_in(verification, "/rights-requests/verify")).status_code == 200
    [team] = smtp.wait(1, to=PRIVACY)
    assert "None" not in team.body and "Name:" not in team.body
    assert "E-mail: ana@example.com" in team.body.splitlines()


def test_verification_link_works_once(desk: TestClient, smtp: MailSink) -> None:
    desk.post(URL, json=rights_body())
    [verification] = smtp.wait(1, to="ana@example.com")
    link = link_in(verification, "/rights-requests/verify")
    assert desk.get(link).status_code == 200
    again = desk.get(link)
    assert again.status_code == 410
    assert "already been used" in again.text
    smtp.wait(1, to=PRIVACY)
    assert len(smtp.mails(to=PRIVACY)) == 1  # the second click sends nothing


def test_wrong_and_missing_verification_tokens_get_a_not_found_page(desk: TestClient) -> None:
    for link in ("/rights-requests/verify?token=nope", "/rights-requests/verify"):
        page = desk.get(link)
        assert page.status_code == 404
        assert "not valid" in page.text
        assert page.headers["cache-control"] == "no-store"


def test_expired_verification_link_is_refused(
    desk: TestClient, smtp: MailSink, settings: Any
) -> None:
    created = desk.post(URL, json=rights_body()).json()
    [verification] = smtp.wait(1, to="ana@example.com")
    expire_link(settings.database_url, created["reference"])
    page = desk.get(link_in(verification, "/rights-requests/verify"))
    assert page.status_code == 410
    assert "expired" in page.text
    assert desk.get(local(created["api_url"])).json()["status"] == "received"
    assert smtp.mails(to=PRIVACY) == []


def test_unknown_reference_and_wrong_token_get_the_same_404(desk: TestClient) -> None:
    created = desk.post(URL, json=rights_body()).json()
    reference = created["reference"]
    wrong_token = desk.get(f"{URL}/{reference}?token=not-the-token")
    unknown = desk.get(f"{URL}/RR-1999-999999?token=not-the-token")
    assert wrong_token.status_code == unknown.status_code == 404
    assert wrong_token.json() == unknown.json()
    real_token = local(created["status_url"]).split("token=")[1]
    other = desk.get(f"{URL}/RR-1999-999999?token={real_token}")
    assert other.json() == unknown.json()


def test_status_token_has_at_least_128_bits_and_is_not_stored(
    desk: TestClient, settings: Any
) -> None:
    created = desk.post(URL, json=rights_body()).json()
    token = local(created["status_url"]).split("token=")[1]
    assert len(token) >= 22  # 22 url-safe base64 characters carry 132 bits
    engine = sa.create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.select(rights_requests)).one()
    finally:
        engine.dispose()
    assert token not in str(tuple(row))


def test_status_url_opens_the_html_page_and_api_url_gives_the_json(
    desk: TestClient, smtp: MailSink
) -> None:
    created = desk.post(URL, json=rights_body()).json()
    reference = created["reference"]
    page_path, api_path = local(created["status_url"]), local(created["api_url"])
    assert page_path.startswith(f"/rights-requests/{reference}?token=")
    assert api_path == "/api" + page_path  # one token, two forms of the same status
    page = desk.get(page_path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert reference in page.text and "Ana Lima" not in page.text
    data = desk.get(api_path).json()
    assert data["reference"] == reference and data["status"] == "received"
    # The requester's mail carries the page, the link a person can open.
    [verification] = smtp.wait(1, to="ana@example.com")
    assert link_in(verification, f"/rights-requests/{reference}") == page_path
    assert "/api/" not in verification.body


@pytest.mark.parametrize("right", ["opt_out", "limit"])
def test_opt_out_and_limit_need_no_verification(
    desk: TestClient, smtp: MailSink, right: str
) -> None:
    created = desk.post(URL, json=rights_body(right=right, jurisdiction="ccpa")).json()
    received = date.fromisoformat(created["received_at"][:10])
    assert created["due_at"] == add_business_days(received, 15, CALIFORNIA).isoformat()
    [team] = smtp.wait(1, to=PRIVACY)
    assert created["reference"] in str(team.message["Subject"])
    [acknowledgement] = smtp.wait(1, to="ana@example.com")
    assert "verify" not in acknowledgement.body
    assert created["confirm_by"] is None  # 15 business days, nothing to confirm first


def test_same_idempotency_key_and_body_give_the_same_answer_and_one_request(
    desk: TestClient, settings: Any
) -> None:
    headers = {"Idempotency-Key": "retry-7f3c"}
    first = desk.post(URL, json=rights_body(), headers=headers)
    second = desk.post(URL, json=rights_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert _count(settings.database_url) == 1


def test_no_table_holds_a_token_once_the_mail_is_sent_and_a_replay_still_answers(
    desk: TestClient, smtp: MailSink, settings: Any
) -> None:
    headers = {"Idempotency-Key": "retry-token-scan"}
    first = desk.post(URL, json=rights_body(), headers=headers)
    assert first.status_code == 201
    status_token = local(first.json()["status_url"]).split("token=")[1]
    [verification] = smtp.wait(1, to="ana@example.com")
    verify_token = link_in(verification, "/rights-requests/verify").split("token=")[1]
    outbox = desk.app.state.services.outbox  # type: ignore[attr-defined]
    wait_for(lambda: outbox.count("pending") == 0, what="the outbox to empty")

    stored = every_stored_value(settings.database_url)
    assert first.json()["reference"] in stored  # the scan does see the rows
    assert status_token not in stored
    assert verify_token not in stored
    replay = desk.post(URL, json=rights_body(), headers=headers)
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert status_token in replay.json()["status_url"]
    assert desk.get(local(replay.json()["api_url"])).status_code == 200


def test_same_idempotency_key_with_another_body_is_refused(desk: TestClient) -> None:
    headers = {"Idempotency-Key": "retry-7f3c"}
    assert desk.post(URL, json=rights_body(), headers=headers).status_code == 201
    other = desk.post(URL, json=rights_body(right="access"), headers=headers)
    assert other.status_code == 422
    error = other.json()["error"]
    assert error["field"] == "Idempotency-Key"
    assert "different body" in error["message"]


def test_concurrent_retries_with_one_key_make_one_request(desk: TestClient, settings: Any) -> None:
    headers = {"Idempotency-Key": "concurrent-1"}

    def send(_: int) -> Any:
        return desk.post(URL, json=rights_body(), headers=headers)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(16)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["reference"] for r in responses}) == 1
    assert _count(settings.database_url) == 1


def test_references_are_consecutive_and_unique_under_concurrency(desk: TestClient) -> None:
    def send(i: int) -> str:
        response = desk.post(URL, json=rights_body(name=f"Person {i}"))
        assert response.status_code == 201, response.text
        reference: str = response.json()["reference"]
        return reference

    with ThreadPoolExecutor(8) as pool:
        references = list(pool.map(send, range(40)))
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(1, 41))


BAD_FIELDS: list[tuple[str, Any]] = [
    ("right", "delete"),
    ("right", None),
    ("right", 3),
    ("jurisdiction", "eu"),
    ("jurisdiction", None),
    ("name", ""),
    ("name", "   "),
    ("name", "Ana\r\nBcc: eve@example.com"),
    ("name", "A" * 201),
    ("name", None),
    ("email", "not-an-address"),
    ("email", "ana@example.com\r\nBcc: eve@example.com"),
    ("email", "ana@example.com, eve@example.com"),
    ("email", None),
    ("email", ["ana@example.com"]),
    ("details", "x" * 5001),
    ("details", 12),
    ("question", "x" * 501),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_bad_input_gets_422_naming_the_field(desk: TestClient, field: str, value: Any) -> None:
    body = rights_body()
    if value is None:
        body.pop(field)
    else:
        body[field] = value
    response = desk.post(URL, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: ")


def test_unknown_field_and_bad_idempotency_key_are_named(desk: TestClient) -> None:
    extra = desk.post(URL, json=rights_body(colour="blue"))
    assert extra.status_code == 422
    assert extra.json()["error"]["field"] == "colour"
    bad_key = desk.post(URL, json=rights_body(), headers={"Idempotency-Key": "x" * 300})
    assert bad_key.status_code == 422
    assert bad_key.json()["error"]["field"].lower() == "idempotency-key"


def test_deadlines_are_stored_with_the_request(desk: TestClient) -> None:
    gdpr = desk.post(URL, json=rights_body(jurisdiction="gdpr")).json()
    ccpa = desk.post(URL, json=rights_body(jurisdiction="ccpa")).json()
    assert gdpr["confirm_by"] is None
    assert ccpa["confirm_by"] is not None
    assert ccpa["due_at"] > ccpa["confirm_by"]


def test_the_api_offers_exactly_the_rights_of_the_core() -> None:
    assert get_args(Right) == RIGHTS
    assert get_args(Jurisdiction) == JURISDICTIONS
    assert get_args(Status) == STATUSES  # the schema's statuses are the vocabulary's


def test_logs_hold_no_name_email_or_question(
    desk: TestClient, smtp: MailSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = desk.post(URL, json=rights_body()).json()
    [verification] = smtp.wait(1, to="ana@example.com")
    desk.get(link_in(verification, "/rights-requests/verify"))
    desk.post(
        "/api/escalations",
        json={"question": "zanzibar?", "email": "v@example.com", "consent": True},
    )
    smtp.wait(2, to=PRIVACY)
    # Everything the app logged; aiosmtpd ("mail.log") is the test's mail server, not the app.
    text = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert created["reference"] in text  # the logs do say what happened
    for secret in ("ana@example.com", "Ana Lima", "4411", "please delete", "zanzibar", "v@example"):
        assert secret not in text


# -- what the visitor was told ----------------------------------------------------------------


def test_a_request_records_the_policy_version_and_the_sections_it_names(
    desk: TestClient, smtp: MailSink
) -> None:
    answer = desk.post("/api/ask", json={"question": "can you delete my data?"}).json()
    ids = [s["id"] for s in answer["sections"]]
    created = desk.post(URL, json=rights_body(sections=ids))
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    auth = {"Authorization": f"Bearer {API_KEY}"}
    stored = desk.get(f"/api/support/rights-requests/{reference}", headers=auth).json()
    assert stored["sections"] == ids
    assert stored["policy"] == {
        "document": answer["policy"]["document"],
        "version": answer["policy"]["version"],
        "last_updated": answer["policy"]["last_updated"],
    }
    plain = desk.post(URL, json=rights_body(email="other@example.com")).json()["reference"]
    without = desk.get(f"/api/support/rights-requests/{plain}", headers=auth).json()
    assert without["sections"] == [] and without["policy"]["version"] == answer["policy"]["version"]


@pytest.mark.parametrize(
    "sections",
    [["no-such-section"], ["data-retention", "<script>"], "data-retention", [""], ["x"] * 21],
)
def test_a_section_the_policy_does_not_have_gets_422_naming_sections(
    desk: TestClient, sections: Any
) -> None:
    response = desk.post(URL, json=rights_body(sections=sections))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"].startswith("sections"), error
    assert _count(desk.app.state.settings.database_url) == 0  # type: ignore[attr-defined]
