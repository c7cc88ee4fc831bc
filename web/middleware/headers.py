"""ASGI middleware: a cap on request bodies, CORS in our error shape, and security headers on
every response."""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import error_response

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


def content_security_policy(frame_ancestors: str = "'none'") -> bytes:
    """The page CSP: our own origin only, no inline script, no plugins, no <base>."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; "
        f"frame-ancestors {frame_ancestors}"
    ).encode()


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, whether declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes or declared < 0:
                    await self._refuse(send)
                    return
            elif name == b"transfer-encoding":
                chunked = True
        if chunked:
            # A streamed body has no length to check up front, and once the app reads it a
            # failure becomes the framework's 400: read it here first (it is small) and replay.
            messages = await self._read_streamed(receive)
            if messages is None:
                await self._refuse(send)
                return
            receive = _replay(messages, receive)
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _read_streamed(self, receive: Receive) -> list[Message] | None:
        """The body's messages up to the end (or a disconnect); None once over max_bytes."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    async def _refuse(self, send: Send) -> None:
        message = f"body: is larger than {self.max_bytes} bytes; send a shorter request"
        body = orjson.dumps(
            {
                "error": {
                    "status": 413,
                    "code": "body_too_large",
                    "message": message,
                    "field": "body",
                    "fields": [],
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives back the messages already read, then the server's own."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class SecurityHeaders:
    """Add the security headers (and the CSP) to every HTTP response.

    Pages are never framed, except the `framed_paths` (the widget's panel), which the
    `frame_ancestors` sources may frame.
    """

    def __init__(
        self,
        app: ASGIApp,
        frame_ancestors: str = "'none'",
        framed_paths: tuple[str, ...] = (),
        cacheable_prefixes: tuple[str, ...] = ("/static/",),
    ) -> None:
        self.app = app
        self.cacheable_prefixes = cacheable_prefixes
        self.headers = [
            *SECURITY_HEADERS,
            (b"content-security-policy", content_security_policy()),
        ]
        self.framed_paths = framed_paths
        # X-Frame-Options cannot name origins; frame-ancestors alone decides where framing is on.
        self.framed_headers = [
            *(h for h in SECURITY_HEADERS if h[0] != b"x-frame-options"),
            (b"content-security-policy", content_security_policy(frame_ancestors)),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.framed_headers if scope["path"] in self.framed_paths else self.headers
        # Answers echo questions, forms carry tokens, statuses carry personal data: no cache
        # keeps a reply unless the route says it may (static files are the same for everyone).
        no_store = not scope["path"].startswith(self.cacheable_prefixes)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = [*message.get("headers", []), *headers]
                if no_store and not any(name.lower() == b"cache-control" for name, _ in sent):
                    sent.append((b"cache-control", b"no-store"))
                message["headers"] = sent
            await send(message)

        await self.app(scope, receive, with_headers)


class CORS(CORSMiddleware):
    """Starlette's CORS, but a preflight it refuses is answered in the error shape (Starlette's
    is a plain-text 400), keeping its CORS headers."""

    def preflight_response(self, request_headers: Headers) -> Response:
        """The preflight's answer: Starlette's when it allows, else our 400."""
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        refusal = error_response(
            400,
            "cors_refused",
            f"cross-origin request refused: its {refused} is not allowed; only the sites in "
            "PRIVACY_QA_ALLOWED_ORIGINS may call the API, with GET or POST and the headers "
            "Content-Type and Idempotency-Key",
        )
        for name, value in response.headers.items():
            if name.startswith("access-control-") or name == "vary":
                refusal.headers[name] = value
        return refusal
