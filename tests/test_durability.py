"""kill -9 of a real server (two uvicorn workers) during 200 concurrent submissions: nothing lost.

Slow by design (a few seconds per database): it starts real server processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from qa.settings import Settings
from qa.store import Cipher, outbox, rights_requests
from tests.casework import MailSink, casework_settings, free_port, rights_body, wait_for

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = 200
KILL_AFTER = 60
KEY = "Jx2pT8w5mZr3bQv9cY1kN4dF6hL0sA7eU2gW5iO8tEo="  # a Fernet key, for the test only


class Server:
    """`privacy-qa serve` in its own process group, on a free port."""

    def __init__(self, settings: Settings, workers: int = 2) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            **settings.to_environ(),
            "PRIVACY_QA_PORT": str(self.port),
            "PRIVACY_QA_WORKERS": str(workers),
            "PRIVACY_QA_LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: kill -9 reaches every worker
        )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(self._ready, timeout=60, what="the server to answer /readyz")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"server exited with {self.process.returncode}")
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture()
def server_settings(tmp_path: Path, database_url: str, smtp: MailSink) -> Settings:
    """The settings of the server processes (encryption on, to cover it too)."""
    return casework_settings(tmp_path, database_url, smtp, encryption_key=(KEY,))


@pytest.fixture()
def servers() -> Iterator[list[Server]]:
    """The servers a test starts; every one is killed at the end."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.kill()


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url + "/api/rights-requests",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}
    except OSError:  # connection refused or reset: the server is gone
        return 0, {}


def test_kill_9_during_200_concurrent_submissions_loses_no_acknowledged_request(
    server_settings: Settings, servers: list[Server]
) -> None:
    server = Server(server_settings)
    servers.append(server)
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()

    def submit(i: int) -> int:
        email = f"person{i}@example.com"
        status, data = _post(server.url, rights_body(email=email, name=f"Person {i}"))
        if status == 201:
            with lock:
                acknowledged[data["reference"]] = email
        return status

    with ThreadPoolExecutor(50) as pool:
        futures = [pool.submit(submit, i) for i in range(SUBMISSIONS)]
        wait_for(lambda: len(acknowledged) >= KILL_AFTER, timeout=60, what="first 201s")
        server.kill()
        statuses = [f.result() for f in futures]

    with lock:
        acked = dict(acknowledged)
    assert statuses.count(201) == len(acked)
    assert statuses.count(0) > 0, "the kill came after every submission had finished"
    assert not set(statuses) - {0, 201}, "a submission got an error status, not 201 or a reset"
    # Shown with `pytest -s`: how far the run got before the kill.
    print(f"\n{len(acked)} of {SUBMISSIONS} acknowledged before kill -9")

    engine = sa.create_engine(server_settings.database_url or "")
    cipher = Cipher(server_settings.encryption_key)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            rows = {r.reference: r for r in conn.execute(sa.select(rights_requests)).all()}
            mails = set(conn.execute(sa.select(outbox.c.reference)).scalars())
    finally:
        engine.dispose()
    for reference, email in acked.items():
        assert reference in rows, f"{reference} was acknowledged with 201 but is lost"
        assert cipher.open(rows[reference].email) == email
        assert rows[reference].email != email  # encrypted at rest
        assert reference in mails  # its verification mail committed with it
    # Every stored request has its mail too: the request and its mail commit together.
    assert set(rows) <= mails

    restarted = Server(server_settings, workers=1)
    servers.append(restarted)
    status, created = _post(restarted.url, rights_body(email="after@example.com"))
    assert status == 201
    assert created["reference"] not in acked
