"""The mail outbox: SMTP down then up, every mail delivered exactly once; leases; .eml files."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.cli.main import main
from qa.delivery.message import build_message, new_message_id
from qa.delivery.outbox import Outbox
from qa.delivery.sender import Sender
from qa.delivery.transports import FileTransport, SmtpTransport
from qa.settings import Settings
from qa.storage.engine import make_engine
from qa.storage.schema import outbox, utcnow
from qa.storage.store import Store
from tests.support.casework import PRIVACY, MailSink, casework_settings, rights_body, wait_for
from tests.support.servers import KEY
from web.app import create_app


def _store(database_url: str) -> Store:
    store = Store(make_engine(database_url))
    store.upgrade()
    return store


def _mail(box: Outbox, i: int) -> EmailMessage:
    return build_message(
        sender=box.sender,
        to=f"person{i}@example.com",
        subject=f"Mail {i}",
        body="Hello\n",
        message_id=new_message_id(box.sender),
        date=utcnow(),
    )


def _enqueue(store: Store, box: Outbox, count: int) -> list[str]:
    with store.transaction() as conn:
        return [box.enqueue(conn, _mail(box, i), "test", f"T-{i}") for i in range(count)]


def test_smtp_down_during_submissions_then_up_delivers_every_mail_once(
    tmp_path: Path, database_url: str, smtp_down: MailSink, assistant: Assistant
) -> None:
    settings = casework_settings(tmp_path, database_url, smtp_down)
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        references = []
        for i in range(12):
            response = desk.post(
                "/api/rights-requests", json=rights_body(email=f"person{i}@example.com")
            )
            assert response.status_code == 201  # accepted while the mail server is down
            references.append(response.json()["reference"])
        box: Outbox = cast(FastAPI, desk.app).state.services.outbox

        def all_tried() -> bool:
            return all(mail.attempts >= 1 for mail in box.pending()) and len(box.pending()) == 12

        wait_for(all_tried, what="every mail to fail once")
        assert all(m.last_error for m in box.pending())
        smtp_down.start()
        received = smtp_down.wait(12)
        wait_for(lambda: box.count("pending") == 0, what="the outbox to empty")
        assert box.count("sent") == 12
    ids = Counter(str(m.message["Message-ID"]) for m in smtp_down.mails())
    assert len(ids) == 12 and set(ids.values()) == {1}
    subjects = {str(m.message["Subject"]).rsplit(" ", 1)[1] for m in received}
    assert subjects == set(references)


def test_two_senders_at_once_deliver_each_mail_once(database_url: str, smtp: MailSink) -> None:
    store = _store(database_url)
    try:
        boxes = [
            Outbox(store, SmtpTransport("127.0.0.1", smtp.port), "assistant@example.com")
            for _ in range(4)
        ]
        ids = _enqueue(store, boxes[0], 60)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda box: box.deliver_due(), boxes))
        assert sum(r.sent for r in results) == 60
        smtp.wait(60)
        counts = Counter(str(m.message["Message-ID"]) for m in smtp.mails())
        assert set(counts) == set(ids) and set(counts.values()) == {1}
    finally:
        store.close()


def test_a_failed_mail_waits_for_its_back_off(database_url: str, smtp_down: MailSink) -> None:
    store = _store(database_url)
    try:
        box = Outbox(
            store,
            SmtpTransport("127.0.0.1", smtp_down.port, timeout=2),
            "assistant@example.com",
            retry_seconds=60,
        )
        _enqueue(store, box, 1)
        assert box.deliver_due().failed == 1
        [pending] = box.pending()
        assert pending.attempts == 1
        assert pending.next_attempt_at > utcnow() + timedelta(seconds=50)
        smtp_down.start()
        assert box.deliver_due().sent == 0  # not due yet
        assert box.retry_now().sent == 1  # `privacy-qa outbox --retry-now`
        assert box.count("pending") == 0
    finally:
        store.close()


def test_back_off_doubles_up_to_an_hour() -> None:
    box = Outbox(Store(make_engine("sqlite://")), FileTransport(Path(".")), "a@example.com")
    waits = [box.backoff(n).total_seconds() for n in (1, 2, 3, 4, 10, 40)]
    assert waits == [5, 10, 20, 40, 2560, 3600]


def test_without_smtp_host_mail_is_written_as_eml_files(
    tmp_path: Path, assistant: Assistant
) -> None:
    settings = Settings(data_dir=tmp_path, privacy_email=PRIVACY, public_url="http://testserver")
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        created = desk.post("/api/rights-requests", json=rights_body()).json()
        files = wait_for(lambda: list((tmp_path / "mail").glob("*.eml")), what="an .eml file")
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert created["reference"] in str(message["Subject"])
    assert message["To"].addresses[0].addr_spec == "ana@example.com"
    assert (tmp_path / "privacy-qa.sqlite3").exists()


def test_with_an_encryption_key_mail_files_are_encrypted_and_the_cli_reads_them(
    tmp_path: Path,
    assistant: Assistant,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        privacy_email=PRIVACY,
        public_url="http://testserver",
        encryption_key=(KEY,),
    )
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    body = rights_body(name="Canaryname Lima", details="canarydetails 4411")
    with TestClient(create_app(settings, assistant=assistant)) as desk:
        created = desk.post("/api/rights-requests", json=body).json()
        # A file is written under a hidden temporary name and renamed when whole.
        [file] = wait_for(
            lambda: list((tmp_path / "mail").glob("*.eml.fernet")), what="a mail file"
        )
    assert file.name.endswith(".eml.fernet")
    raw = file.read_bytes()
    assert b"Canaryname" not in raw and b"ana@example.com" not in raw
    assert b"canary" not in raw.lower() and created["reference"].encode() not in raw
    assert main(["outbox", "--read", str(file)]) == 0
    message = message_from_bytes(capsys.readouterr().out.encode(), policy=policy.default)
    assert created["reference"] in str(message["Subject"])
    assert message["To"].addresses[0].display_name == "Canaryname Lima"


def test_a_mail_is_stored_only_if_its_request_commits(database_url: str) -> None:
    store = _store(database_url)
    box = Outbox(store, FileTransport(Path(".")), "assistant@example.com")
    try:
        try:
            with store.transaction() as conn:
                _ = conn  # the request's own rows would be written here
                message = build_message(
                    sender=box.sender,
                    to="ana@example.com",
                    subject="Rolled back",
                    body="x\n",
                    message_id=new_message_id(box.sender),
                    date=utcnow(),
                )
                box.enqueue(conn, message, "test", "T-1")
                raise RuntimeError("the request failed")
        except RuntimeError:
            pass
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one() == 0
    finally:
        store.close()


def test_the_outbox_wakes_its_sender_once_its_transaction_commits(database_url: str) -> None:
    store = _store(database_url)
    box = Outbox(store, FileTransport(Path(".")), "assistant@example.com")
    Sender(box)  # not started, as in the CLI: its wake-up does nothing, and breaks nothing
    assert box.wake is not None
    _enqueue(store, box, 1)
    wakes: list[int] = []
    box.wake = lambda: wakes.append(box.count("pending"))
    try:
        with store.transaction() as conn:
            box.enqueue(conn, _mail(box, 1), "test", "T-1")
            box.enqueue(conn, _mail(box, 2), "test", "T-2")
            assert wakes == []  # not before the commit: the sender would find nothing yet
        assert wakes == [3]  # once for the transaction, and the mail is there to be sent
        with pytest.raises(RuntimeError), store.transaction() as conn:
            box.enqueue(conn, _mail(box, 3), "test", "T-3")
            raise RuntimeError("the request failed")
        assert wakes == [3]  # a rolled-back mail wakes no one
    finally:
        store.close()
