"""Real `privacy-qa serve` processes for the fault tests (and the `servers` fixture that stops
them), and a client that submits to them."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qa.settings import Settings
from tests.support.casework import free_port, rights_body, wait_for

ROOT = Path(__file__).resolve().parents[2]
KEY = "Jx2pT8w5mZr3bQv9cY1kN4dF6hL0sA7eU2gW5iO8tEo="  # a Fernet key, for the tests only


class Server:
    """`privacy-qa serve` in its own process group, on a free port; its output goes to `log`."""

    def __init__(self, settings: Settings, log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.log = log
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PRIVACY_QA_")},
            **settings.to_environ(),
            "PRIVACY_QA_PORT": str(self.port),
            "PRIVACY_QA_WORKERS": str(workers),
            "PYTHONPATH": str(ROOT),
        }
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "qa.cli.main", "serve"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill -9 reaches every worker
            )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(self._ready, timeout=90, what="the server to answer /readyz")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(
                f"server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
            )
        return get(self.url + "/readyz")[0] == 200

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture()
def servers() -> Iterator[list[Server]]:
    """The servers a test starts; every one is killed at the end."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.kill()


@dataclass(frozen=True)
class Reply:
    """What one request got: the status (0: no answer, the connection failed), headers (names
    in lower case), the body as JSON (empty when it is not JSON) and as text."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def call(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """One HTTP request, a JSON body if given; a refused or reset connection is status 0."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        try:
            return _reply(exc.code, exc.headers, exc.read())
        except (OSError, http.client.HTTPException):
            return Reply(0)
    # Refused, reset, or the server died before answering; IncompleteRead (an HTTPException,
    # not an OSError) is a kill between the headers and the body: no acknowledgement either.
    except (OSError, http.client.HTTPException):
        return Reply(0)


def get(url: str) -> tuple[int, dict[str, Any]]:
    """GET a JSON route: (status, body); (0, {}) when the server cannot be reached."""
    reply = call("GET", url, timeout=10)
    return reply.status, reply.body


def post(url: str, body: dict[str, Any], key: str | None = None) -> Reply:
    """POST JSON, with an Idempotency-Key if given."""
    return call("POST", url, body, {"Idempotency-Key": key} if key is not None else None)


def _reply(status: int, headers: Any, raw: bytes) -> Reply:
    text = raw.decode(errors="replace")
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    return Reply(
        status,
        {str(name).lower(): str(value) for name, value in headers.items()},
        data if isinstance(data, dict) else {},
        text,
    )


@dataclass(frozen=True)
class Submission:
    """One visitor's rights request, with the Idempotency-Key its retries reuse."""

    index: int
    key: str
    body: dict[str, Any]

    @property
    def email(self) -> str:
        """The requester's address (unique to the submission)."""
        address: str = self.body["email"]
        return address


def submissions(count: int, run: str) -> list[Submission]:
    """`count` distinct rights requests, each with its own key and address."""
    return [
        Submission(
            i,
            f"{run}-{i:05d}",
            rights_body(email=f"person{i}.{run}@example.com", name=f"Person {i}"),
        )
        for i in range(count)
    ]


def submit_all(
    url: str,
    batch: list[Submission],
    concurrency: int = 64,
    on_reply: Callable[[Submission, Reply], None] | None = None,
) -> dict[int, Reply]:
    """POST every submission to `url`/api/rights-requests, `concurrency` at a time."""
    replies: dict[int, Reply] = {}
    lock = threading.Lock()

    def one(item: Submission) -> None:
        reply = post(url + "/api/rights-requests", item.body, item.key)
        with lock:
            replies[item.index] = reply
        if on_reply is not None:
            on_reply(item, reply)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, batch))
    return replies
