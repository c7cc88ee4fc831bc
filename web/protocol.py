"""The HTTP/1.1 server: uvicorn's h11 protocol, guarded, with its refusals in our error shape.

uvicorn alone lets one connection cost a worker dearly: httptools reads a request head of any
size, and no timer runs while a request arrives, so a client that sends a byte now and then
holds its connection for ever (slowloris). `GuardedH11Protocol` parses with h11, whose buffer
stops at `max_incomplete_event_size` (the head is refused with 431), and gives each request a
deadline from the connection or the request's first byte until its body is read (else 408).
Everything it refuses (431, 408, 400 for what is not HTTP, 503 past `limit_concurrency`) goes
out in the JSON error shape with the security headers, like the app's own errors, and the
connection is then closed gently: our side is shut and the rest of what the client sends is
read and dropped for a moment, so that the client reads the answer before the socket goes.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

import h11
import orjson
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE  # uvicorn's default too
from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from qa.settings import Settings
from web.errors import error_body
from web.middleware.headers import SECURITY_HEADERS, content_security_policy

log = logging.getLogger(__name__)

# How long a refused connection is read (and dropped) before it is closed, and how much of it
# at most: a client that is still sending when we close gets a reset, which can lose the
# answer it has not read yet.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
RETRY_AFTER_SECONDS = 5
_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


def refusal_headers(length: int) -> list[tuple[bytes, bytes]]:
    """The headers of a refusal the server sends itself: JSON, closing, the security headers."""
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(length).encode()),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
        (b"content-security-policy", content_security_policy()),
        (b"cache-control", b"no-store"),
    ]


def refusal(status: int, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 response in the error shape, written straight to the socket."""
    body = orjson.dumps(error_body(status, code, message))
    head = b"".join(name + b": " + value + b"\r\n" for name, value in refusal_headers(len(body)))
    return b"HTTP/1.1 %d %s\r\n%s\r\n%s" % (status, _REASONS[status], head, body)


class _Connection(h11.Connection):
    """An h11 connection that keeps the error it raised, to tell a head too large (431) from
    one that is not HTTP (400)."""

    error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        """The next event, as h11 gives it; a protocol error is kept, then raised."""
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.error = exc
            raise


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on reading each request, and our refusals."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        request_timeout: float = Settings.request_timeout_seconds,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_head = config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        self.parser = _Connection(h11.SERVER, self.max_head)
        self.conn = self.parser
        self.request_timeout = request_timeout
        # uvicorn's own check answers 503 in plain text; ours answers in the error shape.
        self.max_connections = self.limit_concurrency
        self.limit_concurrency = None
        self.inner_app = self.app
        self.app = self._admit
        self._dropped = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._linger: asyncio.TimerHandle | None = None
        self._refused = False

    # -- the deadline -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the first request's deadline: a client that connects and says nothing is
        as slow as one that never finishes."""
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        """Parse what arrived; once refused, drop it, up to LINGER_BYTES."""
        if self._refused:
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                # Reading on would cost this worker CPU for nothing: wait for the close.
                self.transport.pause_reading()
            return
        super().data_received(data)

    def handle_events(self) -> None:
        """Handle what h11 parsed, then start or stop the deadline."""
        super().handle_events()
        self._watch()

    def _reading(self) -> bool:
        # A request is on its way: its body (SEND_BODY), or its head, once a byte of it is
        # here or on a new connection. An idle keep-alive connection is the keep-alive
        # timeout's business; a request read whole (DONE) is the app's.
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            return True
        return state is h11.IDLE and (self.cycle is None or bool(self.conn.trailing_data[0]))

    def _watch(self) -> None:
        reading = not self._refused and self._reading()
        if reading and self._deadline is None:
            self._deadline = self.loop.call_later(self.request_timeout, self._timed_out)
        elif not reading and self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle if self.conn.their_state is h11.SEND_BODY else None
        if cycle is not None and cycle.response_started:
            # The app has answered (or is answering) already; nothing more can be said.
            self.transport.close()
            return
        if cycle is not None:
            # The app waits for the body: it is told the client is gone, and what it would
            # send is dropped, so that the 408 is the one answer.
            cycle.disconnected = True
            cycle.message_event.set()
        log.info("refused a request not received within %g s (408)", self.request_timeout)
        self._refuse(
            408,
            "request_timeout",
            f"the request did not arrive within {self.request_timeout:g} seconds; send it "
            "again, all at once",
        )

    # -- refusals -----------------------------------------------------------------------

    async def _admit(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """The app, unless this worker already holds more than `max_connections` connections
        or requests: then 503 with Retry-After."""
        limit = self.max_connections
        if limit is None or (len(self.connections) <= limit and len(self.tasks) <= limit):
            await self.inner_app(scope, receive, send)
            return
        log.warning("refused a request: over %d connections (503)", limit)
        body = orjson.dumps(
            error_body(
                503,
                "overloaded",
                f"the server is busy; wait {RETRY_AFTER_SECONDS} seconds (Retry-After) and "
                "try again",
            )
        )
        headers = [*refusal_headers(len(body)), (b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def send_400_response(self, msg: str) -> None:
        """h11 could not parse the request: 431 for a head too large, else 400."""
        error = self.parser.error
        if error is not None and error.error_status_hint == 431:
            self._refuse(
                431,
                "headers_too_large",
                f"the request's headers are larger than {self.max_head} bytes; send fewer "
                "or shorter headers",
            )
        else:
            self._refuse(
                400,
                "bad_request",
                "the request is not valid HTTP/1.1; check the request line and the headers",
            )

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer `status` in the error shape and close the connection, gently."""
        self._refused = True
        self._watch()
        self._unset_keepalive_if_required()
        self.transport.write(refusal(status, code, message))
        self.flow.resume_reading()  # to see the client's close, if it was paused
        if self.transport.can_write_eof():
            # Shut our side and drop what still comes: closing at once, with the client's
            # data unread, would reset the connection and could lose the answer.
            self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the timers, then let uvicorn tidy up."""
        for timer in (self._deadline, self._linger):
            if timer is not None:
                timer.cancel()
        self._deadline = self._linger = None
        super().connection_lost(exc)

    def _unsupported_upgrade_warning(self) -> None:
        # WebSockets are off (there are none to serve): an Upgrade request is served as plain
        # HTTP, and is no reason for two warnings per request in the log.
        pass


def guarded_protocol(settings: Settings) -> Any:
    """The protocol for `uvicorn.run(http=...)`, with the settings' request deadline; a
    partial of a module-level class, so it reaches `--workers` processes by pickling."""
    return partial(GuardedH11Protocol, request_timeout=settings.request_timeout_seconds)
