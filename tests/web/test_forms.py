"""The visitor forms without JavaScript: rights requests, their status page, asking a person."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.casework.deadlines import deadlines, long_date

VALID = {
    "right": "erasure",
    "jurisdiction": "gdpr",
    "name": "Ana Example",
    "email": "ana@example.com",
    "details": "",
}


def token_of(page: str) -> str:
    """The form token in a page."""
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, "the page has no form token"
    return found.group(1)


def services(client: TestClient) -> Any:
    """The app's casework services (opened by its lifespan)."""
    return client.app.state.services  # type: ignore[attr-defined]


def send_rights_request(client: TestClient, **changes: str) -> Any:
    """Fetch the form, then post it with VALID plus `changes` (no redirects followed)."""
    token = token_of(client.get("/rights-requests/new").text)
    return client.post(
        "/rights-requests/new",
        data={"token": token, **VALID, **changes},
        follow_redirects=False,
    )


def test_rights_form_is_prefilled_from_the_query(client: TestClient) -> None:
    page = client.get("/rights-requests/new", params={"right": "opt_out"}).text
    assert '<option value="opt_out" selected>' in page
    assert '<option value="other" selected>' in page  # law: not chosen yet
    page = client.get("/rights-requests/new", params={"right": "nonsense"}).text
    assert '<option value="" selected>Choose a request</option>' in page


def test_rights_form_explains_the_deadline_of_the_chosen_law_in_dates(client: TestClient) -> None:
    today = datetime.now(UTC).date()
    page = client.get("/rights-requests/new", params={"jurisdiction": "ccpa"}).text
    shown = page.split('id="deadline"')[1].split("</div>")[0]
    ccpa = deadlines("access", "ccpa", today)
    assert "Under the CCPA" in shown
    assert long_date(ccpa.due) in shown and long_date(ccpa.confirm_by or today) in shown
    page = client.get("/rights-requests/new", params={"right": "opt_out"}).text
    shown = page.split('id="deadline"')[1].split("</div>")[0]
    assert "15 business days" in shown
    assert long_date(deadlines("opt_out", "other", today).due) in shown
    params = {"right": "limit", "jurisdiction": "ccpa"}
    page = client.get("/rights-requests/new", params=params).text
    shown = page.split('id="deadline"')[1].split("</div>")[0]
    assert "limit the use of sensitive data within 15 business days" in shown
    assert long_date(deadlines("limit", "ccpa", today).due) in shown
    assert "45" not in shown


def test_rights_form_makes_a_request_and_shows_its_status(client: TestClient) -> None:
    response = send_rights_request(client, details="Account: ana@example.com")
    assert response.status_code == 303
    location = response.headers["location"]
    match = re.fullmatch(r"/rights-requests/(RR-\d{4}-\d{6})\?token=([\w-]+)&sent=1", location)
    assert match, location
    reference, token = match.groups()
    stored = services(client).rights.status(reference, token)
    assert (stored.right, stored.jurisdiction, stored.name, stored.email) == (
        "erasure",
        "gdpr",
        "Ana Example",
        "ana@example.com",
    )
    assert stored.details == "Account: ana@example.com"
    page = client.get(location)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Request received" in page.text and reference in page.text
    assert "waiting for you to confirm your e-mail address" in page.text
    assert long_date(stored.due_at) in page.text
    again = client.get(f"/rights-requests/{reference}", params={"token": token})
    assert "Request received" not in again.text and "Your privacy request" in again.text


def test_the_same_form_sent_twice_makes_one_request(client: TestClient) -> None:
    token = token_of(client.get("/rights-requests/new").text)
    first = client.post(
        "/rights-requests/new", data={"token": token, **VALID}, follow_redirects=False
    )
    second = client.post(
        "/rights-requests/new", data={"token": token, **VALID}, follow_redirects=False
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(services(client).rights.list()) == 1
    changed = client.post(
        "/rights-requests/new",
        data={"token": token, **VALID, "right": "access"},
        follow_redirects=False,
    )
    assert changed.status_code == 422 and "already sent" in changed.text
    assert token_of(changed.text) != token  # a fresh token to send it as a new request
    assert len(services(client).rights.list()) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"right": ""}, "right", "please choose one of the options"),
        ({"right": "delete_everything"}, "right", "please choose one of the options"),
        ({"jurisdiction": "mars"}, "jurisdiction", "please choose one of the options"),
        ({"name": "   "}, "name", "must contain some text"),
        ({"name": "Ana\r\nBcc: x@evil.example"}, "name", "name"),
        ({"email": "ana"}, "email", "is not an e-mail address"),
        ({"details": "x" * 5001}, "details", "at most 5000"),
    ],
)
def test_bad_rights_form_input_is_shown_next_to_its_field(
    client: TestClient, changes: dict[str, str], field: str, message: str
) -> None:
    response = send_rights_request(client, **changes)
    assert response.status_code == 422
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', response.text)
    assert error and message in error.group(1)
    assert re.search(rf'aria-describedby="[^"]*{field}-error"', response.text)
    assert 'id="error-summary"' in response.text
    assert services(client).rights.list() == []


def test_what_the_visitor_typed_comes_back_escaped(client: TestClient) -> None:
    payload = '"><script>alert(1)</script>'
    response = send_rights_request(client, name=payload, email="not-an-address")
    assert response.status_code == 422
    assert "<script>alert(1)" not in response.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


@pytest.mark.parametrize(
    ("token", "headers", "reason"),
    [
        (None, {}, "no valid security token"),
        ("1.abc.def", {}, "not valid"),
        ("escalation", {}, "not valid"),
        ("good", {"sec-fetch-site": "cross-site"}, "another site"),
        ("good", {"origin": "https://evil.example"}, "another site"),
    ],
)
def test_forged_or_foreign_rights_forms_are_refused(
    client: TestClient, token: str | None, headers: dict[str, str], reason: str
) -> None:
    if token == "good":
        token = token_of(client.get("/rights-requests/new").text)
    elif token == "escalation":  # a real token, but for another form
        token = token_of(client.get("/escalations/new").text)
    data = {**VALID, **({"token": token} if token else {})}
    response = client.post("/rights-requests/new", data=data, headers=headers)
    assert response.status_code == 403
    assert reason in response.text
    assert services(client).rights.list() == []


def test_a_form_that_is_not_utf8_is_refused_plainly(client: TestClient) -> None:
    response = client.post(
        "/rights-requests/new",
        content=b"name=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 403 and "could not be read" in response.text


def test_status_page_says_not_found_alike_for_a_wrong_token_or_reference(
    client: TestClient,
) -> None:
    location = send_rights_request(client).headers["location"]
    reference = location.split("/")[2].split("?")[0]
    wrong_token = client.get(f"/rights-requests/{reference}", params={"token": "x" * 43})
    unknown = client.get("/rights-requests/RR-1999-000001", params={"token": "x" * 43})
    assert wrong_token.status_code == unknown.status_code == 404
    assert wrong_token.text == unknown.text
    assert reference not in wrong_token.text


def test_verification_link_still_reaches_its_own_page(client: TestClient) -> None:
    response = client.get("/rights-requests/verify", params={"token": "unknown"})
    assert response.status_code == 404
    assert "Request not found" not in response.text  # not the status page's answer


def test_escalation_form_hands_the_question_to_the_privacy_team(client: TestClient) -> None:
    page = client.get("/escalations/new", params={"question": "Do you train AI on my data?"})
    assert ">Do you train AI on my data?</textarea>" in page.text
    data = {
        "token": token_of(page.text),
        "question": "Do you train AI on my data?",
        "email": "ana@example.com",
        "consent": "yes",
    }
    response = client.post("/escalations/new", data=data)
    assert response.status_code == 200
    reference = re.search(r'class="reference">(ESC-\d{4}-\d{6})<', response.text)
    assert (
        reference and "They will reply to ana@example.com within 2 business days." in response.text
    )
    (stored,) = services(client).escalations.list()
    assert stored.reference == reference.group(1)
    assert (stored.question, stored.email, stored.consent) == (
        "Do you train AI on my data?",
        "ana@example.com",
        True,
    )


def test_escalation_form_wants_consent_for_an_address(client: TestClient) -> None:
    token = token_of(client.get("/escalations/new").text)
    data = {"token": token, "question": "Hello?", "email": "ana@example.com"}
    response = client.post("/escalations/new", data=data)
    assert response.status_code == 422
    assert 'id="consent-error"' in response.text and "must be true" in response.text
    data = {"token": token, "question": " ", "email": ""}
    response = client.post("/escalations/new", data=data)
    assert response.status_code == 422 and 'id="question-error"' in response.text
    assert services(client).escalations.list() == []


def test_contact_page_has_the_card_and_a_form_to_ask_the_team(client: TestClient) -> None:
    page = client.get("/contact").text
    assert 'id="contact-card"' in page
    assert 'action="/escalations/new"' in page and token_of(page)
    assert 'for="contact-question"' in page


def test_chat_without_javascript_offers_escalation_when_not_answered(client: TestClient) -> None:
    unanswered = client.get("/", params={"q": "Can I bring my dog to your office?"}).text
    assert "does not cover this question" in unanswered
    assert 'action="/escalations/new"' in unanswered and token_of(unanswered)
    assert ">Can I bring my dog to your office?</textarea>" in unanswered
    answered = client.get("/", params={"q": "How long do you keep my data?"}).text
    assert 'action="/escalations/new"' not in answered
    assert '<a href="/policy#data-retention">Data Retention</a>' in answered


def test_chat_shows_a_question_holding_html_as_text(client: TestClient) -> None:
    payload = "<img src=x onerror=alert(1)>\"'<script>"
    page = client.get("/", params={"q": payload}).text
    assert "<img src=x" not in page and "<script>" not in page.split("</head>")[1]
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;&#39;&lt;script&gt;" in page


def test_no_visitor_page_or_form_sets_a_cookie(client: TestClient) -> None:
    for path in ("/", "/?q=retention", "/widget", "/policy", "/contact", "/rights-requests/new"):
        assert "set-cookie" not in client.get(path).headers
    assert "set-cookie" not in send_rights_request(client).headers


@pytest.mark.parametrize("path", ["/rights-requests/new", "/escalations/new"])
@pytest.mark.parametrize(
    "token",
    ["1.a.%C3%A9", "%C3%A9.a.b", "%C2%B2.a.b", "1..", "1.%00.%00", "9" * 5000 + ".a.b"],
    ids=["non-ascii-mac", "non-ascii-time", "superscript-digit", "empty-parts", "nul", "huge"],
)
def test_a_hostile_form_token_gets_the_reload_page_not_a_500(
    client: TestClient, path: str, token: str
) -> None:
    response = client.post(
        path,
        content=f"token={token}&question=hello&consent=yes".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 403, response.text
    assert "reload the page" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_sections_the_chat_showed_go_with_a_request_from_the_form(client: TestClient) -> None:
    answer = client.get("/", params={"q": "can you delete my data?"})
    link = re.search(r'class="action rights_request"[^>]*href="([^"]+)"', answer.text)
    assert link is not None and "sections=" in link.group(1)
    form = client.get(link.group(1).replace("&amp;", "&"))
    carried = re.search(r'name="sections" value="([^"]+)"', form.text)
    assert carried is not None
    response = send_rights_request(client, sections=carried.group(1), token=token_of(form.text))
    assert response.status_code == 303, response.text
    reference, token = re.findall(r"/(RR-[\d-]+)\?token=([\w-]+)", response.headers["location"])[0]
    stored = services(client).rights.status(reference, token)
    assert ",".join(stored.shown.sections) == carried.group(1)
    bad = send_rights_request(client, sections="data-retention,no-such-section")
    assert bad.status_code == 422 and "no-such-section" in bad.text
