"""What the requester is told and can do after intake: the dates in the verification mail, a new
link when the old one expired, the team's reply in the status mail, and withdrawing a request.
On SQLite and PostgreSQL, with mail delivered to a real SMTP server, through the pages (form
posts with their anti-forgery tokens), the JSON API and the CLI."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.casework.deadlines import deadlines, long_date
from qa.cli.main import main
from qa.ratelimits import parse_limits
from qa.storage.schema import rights_requests, utcnow
from tests.support.casework import (
    API_KEY,
    PRIVACY,
    MailSink,
    casework_settings,
    every_stored_value,
    expire_link,
    form_fields,
    link_in,
    local,
    rights_body,
    wait_for,
)
from web.app import create_app

URL = "/api/rights-requests"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
ANA = "ana@example.com"


def _made(desk: TestClient, **changes: Any) -> dict[str, Any]:
    response = desk.post(URL, json=rights_body(**changes))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _token(made: dict[str, Any]) -> str:
    return str(made["status_url"].split("token=", 1)[1])


def _patch(desk: TestClient, reference: str, **change: str) -> Any:
    return desk.patch(f"/api/support/rights-requests/{reference}", json=change, headers=AUTH)


def _drain(desk: TestClient) -> None:
    """Wait until every mail queued so far has been handed to the SMTP server."""
    outbox = desk.app.state.services.outbox  # type: ignore[attr-defined]
    wait_for(lambda: outbox.count("pending") == 0, what="the outbox to drain")


def _post_form(desk: TestClient, page: str, form_id: str, **more: str) -> Any:
    action, fields = form_fields(page, form_id)
    return desk.post(action, data={**fields, **more}, follow_redirects=False)


# -- the verification mail -----------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", ["gdpr", "ccpa"])
def test_the_verification_mail_gives_the_dates_in_words(
    desk: TestClient, smtp: MailSink, jurisdiction: str
) -> None:
    _made(desk, jurisdiction=jurisdiction, right="access")
    [mail] = smtp.wait(1, to=ANA)
    clock = deadlines("access", jurisdiction, utcnow().date())
    assert f"answer it by {long_date(clock.due)}" in mail.body
    assert f"we received your request, {long_date(utcnow())}" in mail.body
    if jurisdiction == "ccpa":
        assert clock.confirm_by is not None
        assert f"confirm that we have it by {long_date(clock.confirm_by)}" in mail.body
    else:
        assert "confirm that we have it" not in mail.body


# -- a new verification link -----------------------------------------------------------------


def test_an_expired_link_offers_a_new_one_that_replaces_it(
    desk: TestClient, smtp: MailSink, settings: Any
) -> None:
    made = _made(desk)
    [first] = smtp.wait(1, to=ANA)
    old_link = link_in(first, "/rights-requests/verify")
    expire_link(settings.database_url, made["reference"])
    expired = desk.get(old_link)
    assert expired.status_code == 410 and "We can send you a new one" in expired.text

    sent = _post_form(desk, expired.text, "resend")
    assert sent.status_code == 200 and "A new link is on its way" in sent.text
    second = smtp.wait(2, to=ANA)[1]
    assert "Please confirm" in str(second.message["Subject"])
    assert desk.get(old_link).status_code == 404  # replaced: the old link opens nothing now
    # The new mail's status link opens the page, and the first one still does too.
    assert desk.get(link_in(second, f"/rights-requests/{made['reference']}")).status_code == 200
    assert desk.get(local(made["status_url"])).status_code == 200
    confirmed = desk.get(link_in(second, "/rights-requests/verify"))
    assert confirmed.status_code == 200 and "your request is confirmed" in confirmed.text
    assert len(smtp.wait(1, to=PRIVACY)) == 1


def test_the_status_page_resends_and_says_what_happened_each_time(
    desk: TestClient, smtp: MailSink
) -> None:
    made = _made(desk)
    page = desk.get(local(made["status_url"])).text
    assert 'id="resend"' in page
    sent = _post_form(desk, page, "resend")
    assert sent.status_code == 200 and "the links we sent before no longer work" in sent.text
    latest = smtp.wait(2, to=ANA)[1]
    assert desk.get(link_in(latest, "/rights-requests/verify")).status_code == 200

    # The same form again, now that the address is confirmed: nothing is sent.
    again = _post_form(desk, page, "resend")
    assert again.status_code == 200 and "Already confirmed" in again.text
    assert 'id="resend"' not in desk.get(local(made["status_url"])).text
    # A status token that is not the request's, and a reference that does not exist.
    action, fields = form_fields(page, "resend")
    wrong = desk.post(action, data={**fields, "status_token": "x" * 43})
    unknown = desk.post("/rights-requests/RR-2026-999999/resend", data=fields)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.text == unknown.text and "Request not found" in wrong.text
    # An opt-out needs no confirmation: the page offers none, and a post says so.
    opt_out = _made(desk, right="opt_out", jurisdiction="ccpa")
    opt_page = desk.get(local(opt_out["status_url"])).text
    assert 'id="resend"' not in opt_page
    needless = desk.post(
        f"/rights-requests/{opt_out['reference']}/resend",
        data={**fields, "status_token": _token(opt_out)},
    )
    assert needless.status_code == 200 and "needs no confirmation" in needless.text
    assert len(smtp.mails(to=ANA, kind="Please confirm")) == 2


def test_a_resend_without_its_form_token_is_refused(desk: TestClient) -> None:
    made = _made(desk)
    path = f"/rights-requests/{made['reference']}/resend"
    response = desk.post(path, data={"status_token": _token(made)})
    assert response.status_code == 403 and "security token" in response.text
    page = desk.get(local(made["status_url"])).text
    _, fields = form_fields(page, "resend")
    other_site = desk.post(path, data=fields, headers={"sec-fetch-site": "cross-site"})
    assert other_site.status_code == 403


def test_resending_counts_against_the_mail_limit_of_the_address(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(
        tmp_path, database_url, smtp, rate_limits=parse_limits("verify_mail=2/day")
    )
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        made = _made(desk, email="Ana+one@Example.com")  # mail 1 of 2 for this mailbox
        page = desk.get(local(made["status_url"])).text
        assert _post_form(desk, page, "resend").status_code == 200  # mail 2 of 2
        limited = _post_form(desk, page, "resend")
        assert limited.status_code == 429
        assert "cannot send another e-mail to this address" in limited.text
        assert "in a day" in limited.text and made["reference"] in limited.text
        # The JSON twin says the same, by its error code; another spelling of the mailbox too.
        api = desk.post(f"{URL}/{made['reference']}/resend", params={"token": _token(made)})
        assert api.status_code == 429 and api.json()["error"]["code"] == "mail_limit"
        smtp.wait(2, to="Ana+one@Example.com")
    assert len(smtp.mails(kind="Please confirm")) == 2


def test_the_api_resends_and_withdraws_with_the_status_token(
    desk: TestClient, smtp: MailSink
) -> None:
    made = _made(desk)
    reference, token = made["reference"], _token(made)
    resent = desk.post(f"{URL}/{reference}/resend", params={"token": token})
    assert resent.status_code == 200 and resent.json()["outcome"] == "sent"
    assert resent.headers["cache-control"] == "no-store"
    smtp.wait(2, to=ANA)
    for bad, expected in (({"token": "nope"}, 404), ({}, 422), ({"token": "x" * 201}, 422)):
        assert desk.post(f"{URL}/{reference}/withdraw", params=bad).status_code == expected
    assert desk.post(f"{URL}/RR-2026-999999/withdraw", params={"token": token}).status_code == 404
    withdrawn = desk.post(f"{URL}/{reference}/withdraw", params={"token": token})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["closed_at"]
    again = desk.post(f"{URL}/{reference}/withdraw", params={"token": token})
    assert again.status_code == 409 and "withdrawn already" in again.json()["error"]["message"]
    after = desk.post(f"{URL}/{reference}/resend", params={"token": token})
    assert after.status_code == 200 and after.json()["outcome"] == "closed"
    # It was never confirmed, so it never reached the team: no mail calls it off.
    assert smtp.mails(to=PRIVACY) == []


# -- withdrawing --------------------------------------------------------------------------


def test_the_requester_withdraws_from_the_status_page_and_the_team_is_told(
    desk: TestClient, smtp: MailSink
) -> None:
    made = _made(desk)
    [verification] = smtp.wait(1, to=ANA)
    assert desk.get(link_in(verification, "/rights-requests/verify")).status_code == 200
    smtp.wait(1, to=PRIVACY)
    page = desk.get(local(made["status_url"])).text
    assert 'id="withdraw"' in page and 'name="confirm" value="yes" required' in page

    unticked = _post_form(desk, page, "withdraw")
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    assert desk.get(local(made["api_url"])).json()["status"] == "verified"

    done = _post_form(desk, page, "withdraw", confirm="yes")
    assert done.status_code == 303
    assert done.headers["location"] == local(made["status_url"])
    shown = desk.get(done.headers["location"]).text
    assert '<dd id="request-status">Withdrawn</dd>' in shown and 'id="withdraw"' not in shown
    [told] = smtp.wait(1, to=PRIVACY, kind=f"Rights request {made['reference']} withdrawn")
    assert "withdrawn this rights request" in told.body and ANA not in told.body

    twice = _post_form(desk, page, "withdraw", confirm="yes")
    assert twice.status_code == 409 and "withdrawn already" in twice.text
    # A closed request stays closed for the team too.
    assert _patch(desk, made["reference"], status="in_progress").status_code == 409


def test_withdrawals_at_once_close_the_request_once_and_tell_the_team_once(
    desk: TestClient, smtp: MailSink
) -> None:
    made = _made(desk, right="opt_out", jurisdiction="ccpa")  # with the team from the start
    smtp.wait(1, to=PRIVACY)
    reference, token = made["reference"], _token(made)

    def withdraw(i: int) -> int:
        if i == 3:  # the team closes it at the same moment (once: a repeat would be no change)
            return int(_patch(desk, reference, status="completed").status_code)
        return int(desk.post(f"{URL}/{reference}/withdraw", params={"token": token}).status_code)

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(withdraw, range(16)))
    assert statuses.count(200) == 1 and set(statuses) == {200, 409}, statuses
    final = desk.get(local(made["api_url"])).json()["status"]
    assert final in ("withdrawn", "completed")  # the team may win: the requester is told then
    _drain(desk)
    mails = smtp.mails(kind=f"Rights request {reference} withdrawn") + smtp.mails(
        kind=f"Your privacy request {reference}: completed"
    )
    assert len(mails) == 1


def test_clicks_on_one_link_at_once_confirm_once_and_tell_the_team_once(
    desk: TestClient, smtp: MailSink
) -> None:
    _made(desk)
    link = link_in(smtp.wait(1, to=ANA)[0], "/rights-requests/verify")
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: desk.get(link).status_code, range(8)))
    assert sorted(statuses) == [200] + [410] * 7, statuses
    _drain(desk)
    assert len(smtp.mails(to=PRIVACY)) == 1


def test_a_completed_request_offers_no_withdrawal(desk: TestClient) -> None:
    made = _made(desk, right="opt_out", jurisdiction="ccpa")
    page = desk.get(local(made["status_url"])).text
    assert _patch(desk, made["reference"], status="completed").status_code == 200
    assert 'id="withdraw"' not in desk.get(local(made["status_url"])).text
    refused = _post_form(desk, page, "withdraw", confirm="yes")
    assert refused.status_code == 409 and "completed already" in refused.text


# -- the team's reply ---------------------------------------------------------------------


def test_the_reply_goes_to_the_requester_with_a_status_link_and_the_note_does_not(
    desk: TestClient, smtp: MailSink, settings: Any
) -> None:
    made = _made(desk, right="opt_out", jurisdiction="ccpa")
    reference = made["reference"]
    reply = "We have stopped sharing your data.\nNothing more is needed from you."
    changed = _patch(
        desk, reference, status="completed", reply=reply, note="internal: checked CRM 77"
    )
    assert changed.status_code == 200 and changed.json()["reply"] == reply
    [status_mail] = smtp.wait(1, to=ANA, kind=f"Your privacy request {reference}: completed")
    body = status_mail.body.replace("\r\n", "\n")
    assert reply in body and "A message from the privacy team" in body
    assert "CRM 77" not in status_mail.body
    assert all("\n" not in str(value) for value in status_mail.message.values())
    link = link_in(status_mail, f"/rights-requests/{reference}")
    page = desk.get(link)
    assert page.status_code == 200 and "Nothing more is needed from you." in page.text
    assert "CRM 77" not in page.text
    assert desk.get(local(made["status_url"])).status_code == 200  # the first link still works
    public = desk.get(local(made["api_url"])).json()
    assert public["reply"] == reply and "notes" not in public
    assert "CRM 77" in every_stored_value(settings.database_url)  # the note is kept, for the team


def test_a_reply_needs_a_new_status_and_some_text(desk: TestClient) -> None:
    reference = _made(desk)["reference"]
    alone = _patch(desk, reference, reply="hello")
    assert alone.status_code == 422 and "reply" in alone.json()["error"]["message"]
    blank = _patch(desk, reference, status="denied", reason="no ID", reply="   ")
    assert blank.status_code == 422 and "reply" in blank.text
    null = _patch(desk, reference, status="denied", reason="no ID", reply=None)  # type: ignore[arg-type]
    assert null.status_code == 422
    assert (
        desk.get(f"/api/support/rights-requests/{reference}", headers=AUTH).json()["status"]
        == "received"
    )


def test_the_reply_is_encrypted_at_rest_and_erased_with_the_request(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(
        tmp_path, database_url, smtp, encryption_key=(Fernet.generate_key().decode(),)
    )
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        made = _made(desk, right="opt_out", jurisdiction="ccpa")
        reply = "Sealed words for Ana 5521"
        assert _patch(desk, made["reference"], status="completed", reply=reply).status_code == 200
        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as conn:
                stored = conn.execute(sa.select(rights_requests.c.reply)).scalar_one()
        finally:
            engine.dispose()
        assert stored.startswith("fernet:") and "5521" not in every_stored_value(database_url)
        assert desk.get(local(made["api_url"])).json()["reply"] == reply
        smtp.wait(1, kind=f"Your privacy request {made['reference']}")
        erased = desk.post("/api/support/erase", json={"email": ANA}, headers=AUTH)
        assert erased.status_code == 200
        record = desk.get(f"/api/support/rights-requests/{made['reference']}", headers=AUTH)
        assert record.json()["reply"] is None


def test_the_cli_sends_a_reply_with_the_new_status(
    tmp_path: Path,
    database_url: str,
    smtp: MailSink,
    assistant: Assistant,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = casework_settings(tmp_path, database_url, smtp)
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        reference = _made(desk, right="opt_out", jurisdiction="ccpa")["reference"]
    words = "Done: you are opted out."
    args = ["requests", "update", reference, "--status", "completed", "--reply", words]
    assert main(args) == 0
    assert f"{reference}: completed" in capsys.readouterr().out
    [mail] = smtp.wait(1, kind=f"Your privacy request {reference}: completed")
    assert words in mail.body
    assert main(["requests", "update", reference, "--reply", "more words"]) == 2
    assert "reply: give it with a new status" in capsys.readouterr().err
