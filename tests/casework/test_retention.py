"""The retention purge on the server's schedule: driven by a clock the test holds, no sleeping."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.casework.retention import RETRY_AFTER_FAILURE, PurgeSchedule, purge
from qa.casework.rights import Intake, RightsRequests
from qa.cli.main import main
from qa.delivery.outbox import Outbox
from qa.delivery.transports import FileTransport
from qa.storage.cipher import Cipher
from qa.storage.engine import make_engine
from qa.storage.schema import rights_requests, utcnow
from qa.storage.store import Store
from tests.support.canaries import Canaries
from tests.support.casework import (
    API_KEY,
    MailSink,
    casework_settings,
    every_stored_value,
    rights_body,
    wait_for,
)
from web.app import create_app

DAY = timedelta(days=1)
URL = "/api/rights-requests"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _open(database_url: str) -> Store:
    store = Store(make_engine(database_url))
    store.upgrade()
    return store


def _desk(store: Store, tmp_path: Path) -> RightsRequests:
    box = Outbox(store, FileTransport(tmp_path / "mail"), "assistant@example.com")
    return RightsRequests(
        store, box, public_url="http://testserver", privacy_email="privacy@example.com"
    )


def _closed_request(desk: RightsRequests, email: str, closed: datetime) -> str:
    """An opt-out made and completed at `closed` (opt-outs need no verification first)."""
    made = desk.submit(Intake("opt_out", "ccpa", "Ana Lima", email), now=closed)
    reference: str = made.reference
    desk.update(reference, status="completed", now=closed)
    return reference


def test_schedule_purges_at_start_then_once_per_interval(database_url: str, tmp_path: Path) -> None:
    store = _open(database_url)
    try:
        desk = _desk(store, tmp_path)
        start = utcnow()
        first = _closed_request(desk, "first@example.com", start - 400 * DAY)
        clock = Clock(start)
        schedule = PurgeSchedule(store, 365, timedelta(hours=24), clock)
        assert schedule.seconds_to_next() == 0  # due at start-up

        erased = schedule.tick()
        assert erased is not None and erased.rights_requests == 1
        assert desk.get(first).email is None
        assert schedule.seconds_to_next() == 24 * 3600

        # A request that passes its retention after the purge waits for the next one.
        second = _closed_request(desk, "second@example.com", start - 366 * DAY)
        clock.now = start + timedelta(hours=23, minutes=59)
        assert schedule.tick() is None
        assert desk.get(second).email == "second@example.com"
        clock.now = start + timedelta(hours=24)
        erased = schedule.tick()
        assert erased is not None and erased.rights_requests == 1
        assert desk.get(second).email is None
        assert schedule.seconds_to_next() == 24 * 3600
    finally:
        store.close()


def test_purges_at_once_from_several_processes_erase_each_record_once(
    database_url: str, tmp_path: Path
) -> None:
    # Four stores (four engines, as four workers have) purge at the same moment.
    stores = [_open(database_url) for _ in range(4)]
    try:
        desk = _desk(stores[0], tmp_path)
        references = [
            _closed_request(desk, f"p{i}@example.com", utcnow() - 400 * DAY) for i in range(5)
        ]
        now = utcnow()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda s: purge(s, 365, now), stores))
        assert sum(r.rights_requests for r in results) == 5
        assert sorted(r.rights_requests for r in results) == [0, 0, 0, 5]
        with stores[0].read() as conn:
            stamps = conn.execute(
                sa.select(rights_requests.c.erased_at).where(
                    rights_requests.c.reference.in_(references)
                )
            ).scalars()
            assert set(stamps) == {now}
    finally:
        for store in stores:
            store.close()


def test_a_failed_purge_is_tried_again_sooner_than_the_interval() -> None:
    unreachable = Store(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    clock = Clock(utcnow())
    schedule = PurgeSchedule(unreachable, 365, timedelta(hours=24), clock)
    try:
        assert schedule.tick() is None
        assert schedule.next_at == clock.now + RETRY_AFTER_FAILURE
    finally:
        unreachable.close()


def test_the_server_purges_on_its_schedule_and_not_when_turned_off(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    off = casework_settings(tmp_path, database_url, smtp, purge_interval_hours=0)
    with TestClient(create_app(off, assistant=assistant)) as client:
        services = cast(FastAPI, client.app).state.services
        assert services.purges is None
        reference = _closed_request(services.rights, "old@example.com", utcnow() - 400 * DAY)
    on = off.with_values(purge_interval_hours=24)
    with TestClient(create_app(on, assistant=assistant)) as client:
        services = cast(FastAPI, client.app).state.services
        assert services.purges is not None

        def erased() -> bool:
            return services.rights.get(reference).email is None

        wait_for(erased, what="the start-up purge to erase the old request")
        assert services.purges.next_at > utcnow() + timedelta(hours=23)


def _mail_folder_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.iterdir()))


def test_purge_email_leaves_no_personal_data_in_rows_answers_mail_files_or_links(
    tmp_path: Path,
    database_url: str,
    assistant: Assistant,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    canary = Canaries()
    # Mail to .eml files (no SMTP host), the default of a single server.
    settings = casework_settings(tmp_path, database_url, MailSink(), smtp_host=None)
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    folder = tmp_path / "mail"
    email = f"{canary('email')}@example.com"
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        outbox = desk.app.state.services.outbox  # type: ignore[attr-defined]

        def drained() -> bool:
            return bool(outbox.count("pending") == 0)

        def request(right: str, **more: str) -> dict[str, str]:
            body = rights_body(right=right, name=f"{canary(right + ' name')} Lima", email=email)
            body.update(details=canary(right + " details"), question=canary(right + " q"))
            body.update(more)
            made = desk.post(URL, json=body, headers={"Idempotency-Key": canary(right + " key")})
            assert made.status_code == 201, made.text
            result: dict[str, str] = made.json()
            return result

        access, erasure = request("access"), request("erasure")
        opt_out = request("opt_out", jurisdiction="ccpa")
        wait_for(drained, what="the first mails")
        links = {ref: _link(folder, ref) for ref in (access["reference"], erasure["reference"])}
        assert desk.get(links[access["reference"]]).status_code == 200
        changes = [
            (access, {"note": f"called {canary('note')}"}),
            (
                access,
                {
                    "status": "extended",
                    "reason": canary("extension reason"),
                    "reply": canary("reply to the requester"),
                },
            ),
            (opt_out, {"status": "denied", "reason": canary("denial reason")}),
        ]
        for made, change in changes:
            path = f"/api/support/rights-requests/{made['reference']}"
            assert desk.patch(path, json=change, headers=AUTH).status_code == 200
        escalation = {
            "question": canary("escalation question"),
            "transcript": [{"question": canary("turn q"), "answer": canary("turn a")}],
            "email": email,
            "consent": True,
        }
        assert desk.post("/api/escalations", json=escalation).status_code == 201
        wait_for(drained, what="every mail")
        before = canary.found_in(_mail_folder_text(folder))
        assert "extension reason" in before and "escalation question" in before  # can fail
        assert "reply to the requester" in before
        assert "note" in canary.found_in(every_stored_value(database_url))

        assert main(["purge", "--email", email.upper()]) == 0
        assert "3 request(s), 1 escalation(s)" in capsys.readouterr().out

        # Rows: no canary in any column of any table (the idempotency keys' answers included).
        assert canary.found_in(every_stored_value(database_url)) == []
        # The API: the team's view, the requester's status link, the verification link.
        for made in (access, erasure, opt_out):
            path = f"/api/support/rights-requests/{made['reference']}"
            record = desk.get(path, headers=AUTH).json()
            assert record["erased_at"] and record["status"] in ("extended", "received", "denied")
            assert record["reason"] is record["extension_reason"] is None
            assert canary.found_in(str(record)) == []
            assert desk.get(made["api_url"].removeprefix("http://testserver")).status_code == 404
        listed = desk.get("/api/support/escalations", headers=AUTH).text
        assert canary.found_in(listed) == []
        page = desk.get(links[erasure["reference"]])
        assert page.status_code in (404, 410) and "confirmed" not in page.text
        wait_for(drained, what="the outbox after the click")
        # The mail files of every erased record are gone, and nothing new was written.
        assert [p.name for p in folder.iterdir()] == []
    if database_url.startswith("sqlite"):
        database = Path(database_url.removeprefix("sqlite:///"))
        for file in (database, database.with_name(database.name + "-journal")):
            raw = file.read_bytes().decode("latin-1") if file.exists() else ""
            assert canary.found_in(raw) == [], f"in the bytes of {file.name}"


def _link(folder: Path, reference: str) -> str:
    """The verification link of a request, from its mail file."""
    for path in folder.glob("*.eml"):
        text = message_from_bytes(path.read_bytes(), policy=policy.default)
        if reference in str(text["Subject"]) and "confirm" in str(text["Subject"]):
            body = text.get_body(("plain",))
            assert body is not None
            for word in body.get_content().split():
                if "/rights-requests/verify?token=" in word:
                    return str(word.removeprefix("http://testserver"))
    raise AssertionError(f"no verification mail for {reference}")


@pytest.mark.parametrize("encrypted", [False, True])
def test_erasure_deletes_the_persons_mail_files_and_counts_them(
    tmp_path: Path,
    database_url: str,
    assistant: Assistant,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    encrypted: bool,
) -> None:
    keys = (Fernet.generate_key().decode(),) if encrypted else ()
    settings = casework_settings(
        tmp_path, database_url, MailSink(), smtp_host=None, encryption_key=keys
    )
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    folder = tmp_path / "mail"
    suffix = ".eml.fernet" if encrypted else ".eml"
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        outbox = desk.app.state.services.outbox  # type: ignore[attr-defined]

        def made(email: str, right: str = "opt_out") -> str:
            body = rights_body(right=right, jurisdiction="ccpa", email=email)
            response = desk.post(URL, json=body)
            assert response.status_code == 201, response.text
            return str(response.json()["reference"])

        # Ana: an opt-out (her acknowledgement, the team's mail) and an access request (her
        # verification link), a status mail, and an escalation; Bea: one opt-out of her own.
        ana = made("ana@example.com")
        made("ana@example.com", right="access")
        bea = made("bea@example.com")
        path = f"/api/support/rights-requests/{ana}"
        assert desk.patch(path, json={"status": "completed"}, headers=AUTH).status_code == 200
        escalation = {"question": "who sees my data?", "email": "ana@example.com", "consent": True}
        assert desk.post("/api/escalations", json=escalation).status_code == 201
        wait_for(lambda: outbox.count("pending") == 0, what="every mail written")
        files = sorted(p.name for p in folder.iterdir())
        assert all(name.endswith(suffix) for name in files) and len(files) == 7, files

        erased = desk.post("/api/support/erase", json={"email": "ana@example.com"}, headers=AUTH)
        assert erased.status_code == 200
        # Ana's five mails (her acknowledgement, verification link and status mail, the team's
        # mails about her opt-out and her question), each a file; Bea's two are left.
        assert erased.json() == {
            "rights_requests": 2,
            "escalations": 1,
            "mails": 5,
            "mail_files": 5,
        }
        left = sorted(p.name for p in folder.iterdir())
        assert len(left) == 2 and set(left) < set(files)
        reader = FileTransport(folder, Cipher(keys))
        assert all(bea in reader.read(folder / name).decode() for name in left)

        # Once more: nothing left to delete, and the count says so.
        again = desk.post("/api/support/erase", json={"email": "ana@example.com"}, headers=AUTH)
        assert again.json()["mail_files"] == 0
    assert main(["purge", "--email", "bea@example.com"]) == 0
    assert "2 mail(s); deleted 2 mail file(s)" in capsys.readouterr().out
    assert list(folder.iterdir()) == []
