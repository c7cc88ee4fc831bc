"""A real HTTP receiver for the webhook tests: a threaded http.server on a free loopback port
that records every POST and answers as the test says (2xx, an error for the first tries, or
never: it holds the request until the test releases it)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.support.casework import free_port, wait_for

# 32 bytes, in the Standard Webhooks form; for the tests only.
SECRET = "whsec_" + base64.b64encode(b"privacy-qa webhook test secret!!").decode()


@dataclass(frozen=True)
class Hit:
    """One POST the receiver got, and the status it answered (0: it never answered)."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        """The body, verified with the independent Standard Webhooks library (raises if the
        signature, the id or the timestamp does not check out)."""
        verified: dict[str, Any] = Webhook(SECRET).verify(self.body, self.headers)
        return verified

    @property
    def webhook_id(self) -> str:
        """The webhook-id header."""
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """Answers `status` to every POST, except `fail_first` answers of `fail_status` (500) first,
    with the `fail_headers` given; with `hang` set it answers nothing until `release()` (or
    until `hang` is cleared, for later ones)."""

    port: int = field(default_factory=free_port)
    status: int = 204
    fail_first: int = 0
    fail_status: int = 500
    fail_headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    hits: list[Hit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint to configure."""
        return f"http://127.0.0.1:{self.port}/hooks/privacy"

    def start(self) -> None:
        """Listen on the receiver's port (again)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = receiver._answer()
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.hits.append(Hit(self.path, headers, body, status))
                if status == 0:
                    receiver._released.wait()
                    return  # the sender gave up long ago; nothing to answer
                self.send_response(status)
                if status == receiver.fail_status:
                    for name, value in receiver.fail_headers.items():
                        self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads `hits`."""

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _answer(self) -> int:
        with self._lock:
            if self.hang:
                return 0
            if len(self.hits) < self.fail_first:
                return self.fail_status
            return self.status

    def release(self) -> None:
        """Let every held request finish (without an answer)."""
        self._released.set()

    def stop(self) -> None:
        """Release held requests and stop listening: a POST now is refused."""
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def delivered(self) -> list[Hit]:
        """The POSTs answered 2xx, in order."""
        with self._lock:
            return [hit for hit in self.hits if 200 <= hit.status < 300]

    def wait(self, count: int) -> list[Hit]:
        """Wait until at least `count` POSTs were answered 2xx."""

        def enough() -> list[Hit] | None:
            found = self.delivered()
            return found if len(found) >= count else None

        return wait_for(enough, timeout=30, what=f"{count} webhook(s) delivered")

    def types(self) -> list[str]:
        """The event type of each delivered POST."""
        return [str(json.loads(hit.body)["type"]) for hit in self.delivered()]


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    """A started receiver, stopped at the end."""
    receiver = Receiver(**options)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
