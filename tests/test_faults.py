"""Faults: the mail server refusing, hanging and resetting; the database going away; kill -9.

Every fault is real: a TCP proxy in the test (tests/support/proxy.py) in front of the real SMTP
server
and the real PostgreSQL, `kill -9` of real server processes, a real PostgreSQL restart. The
tests that start servers are marked slow; `make test` runs them (about two minutes in all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.delivery.outbox import Outbox
from qa.settings import Settings
from qa.storage.cipher import Cipher, token_hash
from qa.storage.schema import idempotency_keys, outbox, rights_requests
from tests.support.casework import MailSink, casework_settings, rights_body, wait_for
from tests.support.proxy import fault_proxy
from tests.support.servers import KEY, Reply, Server, Submission, get, post, submissions, submit_all
from web.app import create_app

# What the sender records for each fault (the exception's class, never the server's words).
FAULT_ERRORS = {
    "refuse": {"ConnectionRefusedError"},
    "hang": {"SMTPServerDisconnected (TimeoutError)"},
    "reset": {
        "SMTPServerDisconnected (ConnectionResetError)",
        "SMTPServerDisconnected (BrokenPipeError)",  # the reset came while it was still sending
    },
}


def _submit_mix(desk: TestClient, tag: str) -> list[str]:
    """Two rights requests (a verification mail each), an opt-out (two mails) and an
    escalation (one mail): five mails. Every submission is accepted whatever SMTP does."""
    references = []
    for i, right in enumerate(("erasure", "access", "opt_out")):
        body = rights_body(right=right, email=f"{tag}{i}@example.com")
        response = desk.post("/api/rights-requests", json=body)
        assert response.status_code == 201, response.text
        references.append(response.json()["reference"])
    escalation = {"question": f"who are your subprocessors? ({tag})"}
    response = desk.post("/api/escalations", json=escalation)
    assert response.status_code == 201, response.text
    references.append(response.json()["reference"])
    return references


def _stored_mail(desk: TestClient) -> dict[str, Any]:
    box: Outbox = cast(FastAPI, desk.app).state.services.outbox
    with box.store.read() as conn:
        rows = conn.execute(outbox.select()).all()
    return {row.message_id: row for row in rows}


def test_smtp_refusing_hanging_and_resetting_then_recovering_delivers_each_mail_once(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    with fault_proxy(smtp.port) as proxy:
        settings = casework_settings(
            tmp_path,
            database_url,
            smtp,
            smtp_port=proxy.port,
            smtp_timeout_seconds=1.0,  # the hang ends each round after a second
        )
        with TestClient(create_app(settings, assistant=assistant)) as desk:
            made: dict[str, list[str]] = {}
            for mode in ("refuse", "hang", "reset"):
                proxy.set_mode(mode)
                made[mode] = _submit_mix(desk, mode)

                def tried_in_this_mode(references: list[str] = made[mode]) -> bool:
                    mails = [m for m in _stored_mail(desk).values() if m.reference in references]
                    return len(mails) == 5 and all(m.attempts >= 1 for m in mails)

                wait_for(tried_in_this_mode, timeout=30, what=f"every mail to fail ({mode})")
                mails = _stored_mail(desk).values()
                errors = {m.last_error for m in mails if m.reference in made[mode]}
                assert errors <= FAULT_ERRORS[mode], errors
                assert all(m.status == "pending" for m in mails)
                assert smtp.mails() == []  # nothing got through, not even half a mail
            assert proxy.accepted["hang"] >= 1 and proxy.resets >= 1
            assert proxy.accepted["refuse"] == 0  # refused at connect: never accepted

            proxy.set_mode("pass")
            wait_for(
                lambda: all(m.status == "sent" for m in _stored_mail(desk).values()),
                timeout=60,
                what="the outbox to empty after recovery",
            )
            stored = _stored_mail(desk)
    assert len(stored) == 15
    delivered = Counter(str(m.message["Message-ID"]) for m in smtp.mails())
    assert set(delivered) == set(stored)
    assert set(delivered.values()) == {1}, "a mail was delivered twice"
    print(f"\nSMTP faults: {len(stored)} mails, {len(delivered)} Message-IDs delivered once each")


# -- the database out of reach, in-process (no server restart, nothing else disturbed) -----


def _never(stream: bytes) -> int | None:
    return None


def _assert_unavailable(response: Any) -> None:
    """A 503 in the one error shape, with a Retry-After the client can honour."""
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (503, "database_unavailable")
    assert "try again" in error["message"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_database_out_of_reach_gets_503_with_retry_after_then_recovers(
    tmp_path: Path, database_url: str, smtp: MailSink, assistant: Assistant
) -> None:
    with fault_proxy(5432, cutter=_never) as proxy:
        # The proxy stands where PostgreSQL is; connect_timeout bounds a hanging connect.
        url = database_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")
        url += "&connect_timeout=1"
        settings = casework_settings(tmp_path, url, smtp)
        with TestClient(create_app(settings, assistant=assistant)) as desk:
            created = desk.post("/api/rights-requests", json=rights_body()).json()
            status_path = created["api_url"].removeprefix("http://testserver")
            assert desk.get("/readyz").json() == {"status": "ready"}
            auth = {"Authorization": "Bearer test-support-key-0123456789"}
            key = {"Idempotency-Key": "during-the-outage"}
            body = rights_body(email="outage@example.com")
            proxy.set_mode("refuse")  # open connections cut, new ones refused
            _assert_unavailable(desk.post("/api/rights-requests", json=body, headers=key))
            _assert_unavailable(desk.post("/api/escalations", json={"question": "who?"}))
            _assert_unavailable(desk.get(status_path))
            _assert_unavailable(desk.get("/api/support/rights-requests", headers=auth))
            ready = desk.get("/readyz")
            assert (ready.status_code, ready.json()) == (503, {"status": "database unavailable"})
            assert desk.post("/api/ask", json={"question": "cookies"}).status_code == 200
            # Connections accepted but never answered: the connect times out (psycopg waits
            # 2 s at least), and the answer is the same 503, not a request held forever.
            proxy.set_mode("hang")
            _assert_unavailable(desk.post("/api/rights-requests", json=body, headers=key))
            assert proxy.accepted["hang"] >= 1
            proxy.set_mode("pass")
            assert desk.get("/readyz").status_code == 200
            retried = desk.post("/api/rights-requests", json=body, headers=key)
            assert retried.status_code == 201
            again = desk.post("/api/rights-requests", json=body, headers=key)
            assert again.json()["reference"] == retried.json()["reference"]
            listed = desk.get("/api/support/rights-requests", headers=auth).json()
    references = sorted(item["reference"] for item in listed["items"])
    assert references == sorted([created["reference"], retried.json()["reference"]])


# -- kill -9 of a real server during 1,000 concurrent submissions ---------------------------

SUBMISSIONS = 1000
KILL_AFTER = 300  # acknowledged requests before the kill: well inside the run


@pytest.fixture()
def server_settings(tmp_path: Path, database_url: str, smtp: MailSink) -> Settings:
    """The settings of the server processes (encryption on, to cover it too)."""
    return casework_settings(tmp_path, database_url, smtp, encryption_key=(KEY,))


@dataclass
class Stored:
    """What the database holds after a run: requests, their mail, idempotency keys."""

    emails: dict[str, str]  # reference -> e-mail address (decrypted)
    raw_emails: dict[str, str]  # reference -> the column as stored
    mail_references: set[str]
    keys: dict[str, str]  # hash of an Idempotency-Key -> the reference its stored answer names


def read_back(settings: Settings) -> Stored:
    """Everything the test checks, read with a fresh engine after the servers are gone."""
    engine = sa.create_engine(settings.database_url or "")
    cipher = Cipher(settings.encryption_key)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(rights_requests)).all()
            mails = set(conn.execute(sa.select(outbox.c.reference)).scalars())
            keys = conn.execute(
                sa.select(idempotency_keys).where(idempotency_keys.c.scope == "rights_request")
            ).all()
    finally:
        engine.dispose()
    return Stored(
        {r.reference: cipher.open(r.email) or "" for r in rows},
        {r.reference: r.email for r in rows},
        mails,
        # The answer itself is sealed with its Idempotency-Key; the row names its request.
        {k.key: k.reference for k in keys},
    )


def check_integrity(settings: Settings) -> None:
    """SQLite's integrity_check; on PostgreSQL, amcheck over every table and index we own."""
    engine = sa.create_engine(settings.database_url or "")
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
                return
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public")
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
            relations = conn.execute(
                sa.text(
                    "SELECT c.oid, c.relkind, am.amname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "LEFT JOIN pg_am am ON am.oid = c.relam "
                    "WHERE n.nspname = :schema AND c.relkind IN ('r', 'i')"
                ),
                {"schema": schema},
            ).all()
            checked = 0
            for oid, kind, method in relations:
                if kind == "r":
                    problems = conn.execute(
                        sa.text("SELECT * FROM public.verify_heapam(:oid)"), {"oid": oid}
                    ).all()
                    assert problems == [], problems
                    checked += 1
                elif method == "btree":
                    conn.execute(sa.text("SELECT public.bt_index_check(:oid, true)"), {"oid": oid})
                    checked += 1
            assert checked >= 10  # the five tables and their indexes
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_9_during_1000_concurrent_submissions_loses_nothing_and_retries_add_nothing(
    server_settings: Settings, servers: list[Server], tmp_path: Path
) -> None:
    server = Server(server_settings, tmp_path / "server.log")
    servers.append(server)
    batch = submissions(SUBMISSIONS, "kill")
    acknowledged: dict[int, str] = {}  # submission -> the reference its 201 gave
    lock = threading.Lock()

    def record(item: Submission, reply: Reply) -> None:
        if reply.status == 201:
            with lock:
                acknowledged[item.index] = reply.body["reference"]

    with ThreadPoolExecutor(1) as background:
        run = background.submit(submit_all, server.url, batch, 64, record)
        wait_for(lambda: len(acknowledged) >= KILL_AFTER, timeout=180, what="first 201s")
        server.kill()
        replies = run.result()
    statuses = Counter(reply.status for reply in replies.values())
    assert set(statuses) <= {0, 201}, f"an error status, not a 201 or a dropped line: {statuses}"
    assert statuses[0] > 0, "the kill came after every submission had finished"
    assert statuses[201] == len(acknowledged)

    # Straight after the crash: the file (SQLite rolls back a half-written transaction
    # from its journal on opening) or the cluster is sound, and every 201 is there.
    check_integrity(server_settings)
    crashed = read_back(server_settings)
    lost = {ref for ref in acknowledged.values() if ref not in crashed.emails}
    assert not lost, f"{len(lost)} acknowledged request(s) lost"
    by_reference = {item.index: item for item in batch}
    for index, reference in acknowledged.items():
        assert crashed.emails[reference] == by_reference[index].email
        assert crashed.raw_emails[reference] != by_reference[index].email  # encrypted at rest
    # Each request committed with its mail, and with the key that names it.
    assert set(crashed.emails) <= crashed.mail_references
    assert sorted(crashed.keys.values()) == sorted(crashed.emails)

    # The clients retry everything with the same key and body, as a client that saw no
    # answer must (and one that did may): the 201s already given are replayed, the rest made.
    restarted = Server(server_settings, tmp_path / "server.log")
    servers.append(restarted)
    retried = submit_all(restarted.url, batch, 64)
    for _ in range(5):
        # A 503 (the database still freeing the killed server's connections) says "try
        # again": the clients do, with the same key, as they must.
        busy = [item for item in batch if retried[item.index].status == 503]
        if not busy:
            break
        retried.update(submit_all(restarted.url, busy, 16))
    assert {reply.status for reply in retried.values()} == {201}
    for index, reference in acknowledged.items():
        assert retried[index].body["reference"] == reference
    restarted.kill()

    check_integrity(server_settings)
    final = read_back(server_settings)
    answered = {token_hash(item.key): retried[item.index].body["reference"] for item in batch}
    assert final.keys == answered  # exactly one stored answer per key, the one the client got
    assert len(final.emails) == SUBMISSIONS  # one request per key: no duplicate from a retry
    assert sorted(final.emails.values()) == sorted(item.email for item in batch)
    assert set(final.emails) <= final.mail_references
    in_flight = len(crashed.emails) - len(acknowledged)
    # Shown with `pytest -s`: the figures the README quotes.
    print(
        f"\nkill -9 ({sa.make_url(server_settings.database_url or '').get_backend_name()}): "
        f"{len(acknowledged)} of "
        f"{SUBMISSIONS} acknowledged before the kill, 0 lost; {in_flight} committed but "
        f"unanswered, replayed on retry; {SUBMISSIONS} keys -> {len(final.emails)} requests"
    )


# -- PostgreSQL restarted under load --------------------------------------------------------


def _cluster() -> list[str] | None:
    """(version, name) of the cluster on port 5432 as pg_ctlcluster wants them, or None when
    this machine cannot restart it (not root, or no Debian postgresql-common)."""
    if os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        return None
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False
    ).stdout
    for line in listing.splitlines():
        version, name, port, *_ = line.split()
        if port == "5432":
            return [version, name]
    return None


def _pg_ctl(cluster: list[str], action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _pg_online(cluster: list[str]) -> bool:
    status = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "status"],
        capture_output=True,
        check=False,
    )
    return status.returncode == 0


@contextmanager
def postgres_down(cluster: list[str]) -> Iterator[None]:
    """PostgreSQL stopped (fast shutdown: sessions cut) for the block; started again after,
    whatever happens, so no other test finds it down."""
    try:
        _pg_ctl(cluster, "stop")
        yield
    finally:
        if not _pg_online(cluster):
            _pg_ctl(cluster, "start")


PG_SUBMISSIONS = 400
PG_STOP_AFTER = 100


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_restart_under_load_gets_503s_and_the_server_recovers_by_itself(
    server_settings: Settings, servers: list[Server], tmp_path: Path
) -> None:
    cluster = _cluster()
    if cluster is None:
        pytest.skip("restarting PostgreSQL needs root and pg_ctlcluster (Debian)")
    server = Server(server_settings, tmp_path / "server.log")
    servers.append(server)
    batch = submissions(PG_SUBMISSIONS, "pg")
    acknowledged: dict[int, str] = {}
    refused: list[Reply] = []  # every 503, to check its shape
    others: list[Reply] = []  # anything but 201 or 503: must stay empty
    lock = threading.Lock()

    def until_acknowledged(item: Submission) -> None:
        """A well-behaved client: on 503, wait as Retry-After says (shortened) and retry."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            reply = post(server.url + "/api/rights-requests", item.body, item.key)
            with lock:
                if reply.status == 201:
                    acknowledged[item.index] = reply.body["reference"]
                    return
                (refused if reply.status == 503 else others).append(reply)
            # A client's back-off, not a wait for the test: Retry-After says 5 s; 0.2 keeps
            # the test short and still pushes requests at the server while it is down.
            time.sleep(0.2)

    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(until_acknowledged, item) for item in batch]
        wait_for(lambda: len(acknowledged) >= PG_STOP_AFTER, timeout=60, what="first 201s")
        before = len(acknowledged)
        with postgres_down(cluster):
            wait_for(lambda: len(refused) >= 40, timeout=30, what="503s while it is down")
            ready = get(server.url + "/readyz")
            assert ready == (503, {"status": "database unavailable"})
            during = len(acknowledged)
        for future in running:
            future.result()
    assert server.process.poll() is None, "the server died; it should have ridden it out"
    log = server.log.read_text()
    assert "Traceback" not in log and '"status":500' not in log
    assert get(server.url + "/readyz") == (200, {"status": "ready"})

    assert not others, f"answers other than 201 and 503: {[r.status for r in others]}"
    for reply in refused:
        assert int(reply.headers["retry-after"]) >= 1
        assert reply.body["error"]["code"] == "database_unavailable"
        assert reply.body["error"]["status"] == 503
    assert len(acknowledged) == PG_SUBMISSIONS
    server.kill()
    stored = read_back(server_settings)
    lost = set(acknowledged.values()) - set(stored.emails)
    assert not lost, f"{len(lost)} acknowledged request(s) lost"
    assert len(stored.emails) == PG_SUBMISSIONS  # one per key, retries included
    assert stored.keys == {token_hash(item.key): acknowledged[item.index] for item in batch}
    check_integrity(server_settings)
    print(
        f"\nPostgreSQL restart: {PG_SUBMISSIONS} submissions; {before} acknowledged before the "
        f"stop, {during - before} while it stopped, {len(refused)} answers of 503 while it was "
        f"down, 0 of another status; after: {len(acknowledged)} acknowledged, 0 lost, "
        f"{len(stored.emails)} requests for {PG_SUBMISSIONS} keys"
    )
