"""The HTTP server itself (web/protocol.py), from raw sockets against a real `privacy-qa serve`:
a head too large, slow and silent clients, what is not HTTP, too many connections."""

from __future__ import annotations

import json
import selectors
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.throughput import serve
from tests.support.casework import wait_for
from tests.web.test_headers import check_headers

DATA = Path(__file__).parents[1] / "data"
DEADLINE = 1  # seconds: PRIVACY_QA_REQUEST_TIMEOUT_SECONDS of the server under test
GUARD = 60.0  # seconds a socket waits before the test fails (a hang, not a timing check)
HUGE = 100 * 1024 * 1024
TOKEN = "metrics-token-0123456789"

# Every test here talks to a real `privacy-qa serve` process.
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Raw:
    """A response read from a socket until the server closed it."""

    status: int
    headers: dict[str, str]
    body: Any


def parse(data: bytes) -> Raw:
    """The status, headers (names in lower case) and JSON body of one raw response."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), data[:200]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Raw(int(lines[0].split()[1]), headers, json.loads(body) if body else None)


def read_to_eof(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(GUARD)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def read_one(sock: socket.socket) -> Raw:
    """One response (by its Content-Length), leaving the connection open."""
    sock.settimeout(GUARD)
    received = b""

    def more() -> None:
        nonlocal received
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection after {received[:300]!r}"
        received += chunk

    while b"\r\n\r\n" not in received:
        more()
    head = received.partition(b"\r\n\r\n")[0]
    length = int(parse(head + b"\r\n\r\n").headers.get("content-length", "0"))
    while len(received.partition(b"\r\n\r\n")[2]) < length:
        more()
    return parse(received)


def connect(port: int) -> socket.socket:
    """A client socket to the server."""
    return socket.create_connection(("127.0.0.1", port), timeout=GUARD)


def assert_refusal(raw: Raw, status: int, code: str) -> None:
    """`raw` is our JSON error shape with `status` and `code`, the security headers, closing."""
    assert raw.status == status, raw
    assert raw.headers["content-type"] == "application/json"
    assert raw.headers["connection"] == "close"
    assert set(raw.body) == {"error"}
    error = raw.body["error"]
    assert set(error) == {"status", "code", "message", "field", "fields"}
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"] and error["fields"] == []
    check_headers("/", raw.headers)


def stream_huge_head(port: int) -> bytes:
    """Send a request whose header is 100 MB, reading while writing; stop once the server has
    answered and closed its side. What it answered."""
    chunk = b"a" * 65536
    sent = 0
    received = b""
    with connect(port) as sock:
        sock.setblocking(False)
        pending = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Huge: "
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            while True:
                events = selector.select(GUARD)
                assert events, "the server neither answered nor took more data"
                _, mask = events[0]
                if mask & selectors.EVENT_READ:
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:
                        break
                    if not data:
                        break  # the server closed: it has said all it will
                    received += data
                elif mask & selectors.EVENT_WRITE:
                    if sent >= HUGE:
                        selector.modify(sock, selectors.EVENT_READ)
                        continue
                    try:
                        sent += sock.send(pending or chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        selector.modify(sock, selectors.EVENT_READ)
                        continue
                    pending = b""
    assert sent < HUGE, "the server read the whole 100 MB head"
    return received


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A real `privacy-qa serve` with a 1-second request deadline: its port and its log."""
    workdir = tmp_path_factory.mktemp("protocol")
    with serve(
        DATA / "widgets-policy.md",
        workdir,
        PRIVACY_QA_REQUEST_TIMEOUT_SECONDS=str(DEADLINE),
        PRIVACY_QA_RATE_LIMITS="off",
        PRIVACY_QA_METRICS_TOKEN=TOKEN,
    ) as url:
        yield int(url.rsplit(":", 1)[1]), workdir / "server.log"


@pytest.fixture()
def port(served: tuple[int, Path]) -> int:
    """The port of the server under test."""
    return served[0]


def healthz(port: int) -> int:
    """The status of GET /healthz (a generous timeout: the server is under attack)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=GUARD) as reply:
            status: int = reply.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_huge_head_and_slowloris_clients_are_refused_while_healthz_answers(port: int) -> None:
    huge: dict[str, bytes] = {}
    flood = threading.Thread(target=lambda: huge.update(reply=stream_huge_head(port)))
    flood.start()
    slow = [connect(port) for _ in range(30)]
    try:
        for i, sock in enumerate(slow):
            # Half of them stop within the headers, half within the body.
            if i % 2:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
            else:
                sock.sendall(
                    b"POST /api/ask HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 40\r\n\r\n{"question": '
                )
        assert healthz(port) == 200
        flood.join(GUARD)
        assert not flood.is_alive()
        assert_refusal(parse(huge["reply"]), 431, "headers_too_large")
        for sock in slow:
            assert_refusal(parse(read_to_eof(sock)), 408, "request_timeout")
    finally:
        for sock in slow:
            sock.close()
    assert healthz(port) == 200


def test_a_client_that_connects_and_says_nothing_gets_408(port: int) -> None:
    with connect(port) as sock:
        assert_refusal(parse(read_to_eof(sock)), 408, "request_timeout")


def test_a_client_trickling_its_head_gets_408_however_often_it_sends(port: int) -> None:
    # A byte at a time, each sooner than the deadline: a timer that data reset would never fire.
    with connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            for _ in range(int(GUARD / 0.2)):
                if selector.select(0.2):
                    break  # the server answered
                try:
                    sock.sendall(b"x")
                except (BrokenPipeError, ConnectionResetError):
                    break
        assert_refusal(parse(read_to_eof(sock)), 408, "request_timeout")


def test_a_keep_alive_request_gets_its_own_deadline(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        assert read_one(sock).status == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")  # never finished
        assert_refusal(parse(read_to_eof(sock)), 408, "request_timeout")


@pytest.mark.parametrize(
    "garbage",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: test\r\nBad Header\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: -5\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ],
    ids=["no-request-line", "header-without-colon", "negative-length", "two-lengths"],
)
def test_what_is_not_http_gets_400_in_the_error_shape(port: int, garbage: bytes) -> None:
    with connect(port) as sock:
        sock.sendall(garbage)
        assert_refusal(parse(read_to_eof(sock)), 400, "bad_request")


def test_a_head_just_under_the_limit_is_served(port: int) -> None:
    padding = b"a" * (60 * 1024)
    with connect(port) as sock:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\nX-Pad: "
            + padding
            + b"\r\n\r\n"
        )
        assert parse(read_to_eof(sock)).status == 200


def test_past_max_connections_a_request_gets_503_in_the_error_shape(tmp_path: Path) -> None:
    with serve(
        DATA / "widgets-policy.md",
        tmp_path,
        PRIVACY_QA_MAX_CONNECTIONS="3",
        PRIVACY_QA_REQUEST_TIMEOUT_SECONDS="120",
        PRIVACY_QA_RATE_LIMITS="off",
    ) as url:
        port = int(url.rsplit(":", 1)[1])
        held = [connect(port) for _ in range(3)]
        try:
            busy = wait_for(lambda: healthz(port) == 503, timeout=GUARD, what="a 503")
            assert busy
            with connect(port) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                raw = parse(read_to_eof(sock))
            assert_refusal(raw, 503, "overloaded")
            assert raw.headers["retry-after"] == "5"
        finally:
            for sock in held:
                sock.close()
        wait_for(lambda: healthz(port) == 200, timeout=GUARD, what="/healthz to answer again")


def requests_by_status(port: int) -> dict[tuple[str, str], float]:
    """privacy_qa_http_requests_total by (route, status), from the server's /metrics."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=GUARD) as reply:
        text = reply.read().decode()
    counts: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "privacy_qa_http_requests_total":
                key = (sample.labels["route"], sample.labels["status"])
                counts[key] = counts.get(key, 0.0) + sample.value
    return counts


def test_a_client_gone_mid_body_is_counted_as_499_and_logged_without_a_traceback(
    served: tuple[int, Path],
) -> None:
    port, log = served
    partial = {
        "/api/ask": (b"application/json", b'{"question": "how long'),
        "/rights-requests/new": (b"application/x-www-form-urlencoded", b"token=1.a.b&name=An"),
        "/api/rights-requests": (b"application/json", b'{"right": "access", "name'),
    }
    before = requests_by_status(port)
    for path, (kind, body) in partial.items():
        with connect(port) as sock:
            sock.sendall(
                b"POST " + path.encode() + b" HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: " + kind + b"\r\nContent-Length: 1000\r\n\r\n" + body
            )
        # closed, with 1000 - len(body) bytes of the body never sent

    def all_counted() -> dict[tuple[str, str], float] | None:
        counts = requests_by_status(port)
        added = {key: counts[key] - before.get(key, 0.0) for key in counts}
        return added if all(added.get((p, "499"), 0) >= 1 for p in partial) else None

    # (A slow client that the deadline cut off earlier in this module counts as 499 too.)
    added = wait_for(all_counted, timeout=GUARD, what="the disconnects in /metrics")
    assert not [key for key, n in added.items() if key[1] in ("400", "500") and n], added
    assert not [key for key in requests_by_status(port) if key[1] == "500"]
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text


UPGRADE = (
    b"Host: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)


def test_a_websocket_upgrade_is_plain_http_answered_in_our_shape(
    served: tuple[int, Path],
) -> None:
    port, log = served
    with connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n" + UPGRADE)
        healthy = read_one(sock)
        sock.sendall(b"GET /socket HTTP/1.1\r\n" + UPGRADE)
        missing = read_one(sock)  # the same connection: no protocol was switched
    assert healthy.status == 200 and "upgrade" not in healthy.headers
    assert missing.status == 404
    assert missing.body["error"]["code"] == "not_found"
    check_headers("/socket", missing.headers)
    assert "upgrade" not in log.read_text(errors="replace").lower()
