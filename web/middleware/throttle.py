"""Rate limits per client on every public route: a token bucket per client and kind of request.

The kind is the route's: the throttle runs before routing, so it asks `RouteTemplates` (the
access log's and the metrics' names for routes) which route template the request is for, and
reads the kind of that template below. Clients are keyed without their address
(web/middleware/clients.py); buckets live in this process or in Redis
(web/middleware/buckets.py). A refused request gets 429 with Retry-After, before its body is read.
"""

from __future__ import annotations

import math

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.ratelimits import Limit
from web.errors import error_response
from web.middleware.access import UNMATCHED, RouteTemplates, method_of
from web.middleware.buckets import Buckets, MemoryBuckets, RedisBuckets
from web.middleware.clients import Clients
from web.templates import render_page

# The clients and buckets are named here too: tests/web/test_throttle.py imports them from the
# throttle, as from before they had modules of their own.
__all__ = ["EXEMPT", "Clients", "MemoryBuckets", "RedisBuckets", "Throttle", "bucket_for"]

# Route templates by kind. Health checks come from load balancers. /metrics takes a support
# key, so it counts as the support API: otherwise it would be an unthrottled oracle for
# guessing keys.
EXEMPT = frozenset({"/healthz", "/readyz"})
SUPPORT_PREFIX = "/api/support/"
ASK = frozenset({"/api/ask", "/", "/widget", "/api/feedback"})
SUBMIT = frozenset(
    {"/api/rights-requests", "/api/escalations", "/rights-requests/new", "/escalations/new"}
)
# A visitor's case: its status page and JSON, the verification link, resend and withdraw.
LOOKUP_PREFIXES = (
    "/api/rights-requests/",
    "/rights-requests/",
    "/api/escalations/",
    "/escalations/",
)


def bucket_for(method: str, route: str) -> str | None:
    """The kind of limit a request to `route` (a route template, or a path no route takes)
    counts against (qa/ratelimits.py), or None for none."""
    if route in EXEMPT:
        return None
    if route.startswith(SUPPORT_PREFIX) or route == "/metrics":
        return "support"
    if route in ASK:
        return "ask"
    if route in SUBMIT:
        return "submit" if method == "POST" else "read"
    if route.startswith(LOOKUP_PREFIXES):
        return "lookup"
    return "read"


class Throttle:
    """Refuse a client's request with 429 and Retry-After once its bucket for the kind is empty."""

    def __init__(
        self,
        app: ASGIApp,
        limits: tuple[Limit, ...],
        buckets: Buckets,
        clients: Clients,
        templates: RouteTemplates,
    ) -> None:
        self.app = app
        self.limits = {limit.name: limit for limit in limits if not limit.off}
        self.buckets = buckets
        self.clients = clients
        self.templates = templates
        # (method, template) -> kind: a few dozen entries, as routes and methods are few.
        self._kinds: dict[tuple[str, str], str | None] = {}

    def kind(self, scope: Scope) -> str | None:
        """The kind of limit the request counts against: its route's, or, when no route takes
        it (a 404), its path's, so that a guess under /api/support/ still counts as support."""
        method, template = method_of(scope), self.templates.of(scope)
        if template == UNMATCHED:
            return bucket_for(method, scope["path"])
        key = (method, template)
        if key not in self._kinds:
            self._kinds[key] = bucket_for(method, template)
        return self._kinds[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = self.kind(scope)
        limit = self.limits.get(kind) if kind else None
        if limit is not None:
            wait = await self.buckets.take(f"{kind}:{self.clients.key(scope)}", limit)
            if wait > 0:
                await self._refuse(scope, receive, send, math.ceil(wait))
                return
        await self.app(scope, receive, send)

    def _closing(self, send: Send) -> Send:
        async def closing_send(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.buckets.close()
            await send(message)

        return closing_send

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, seconds: int) -> None:
        headers = {"Retry-After": str(seconds), "Cache-Control": "no-store"}
        wait = f"{seconds} second{'s' if seconds != 1 else ''}"
        accept = dict(scope["headers"]).get(b"accept", b"")
        response: Response
        if b"text/html" in accept and not scope["path"].startswith("/api/"):
            response = render_page(
                "message_page.html",
                status=429,
                title="Too many requests",
                heading="Too many requests",
                lines=[
                    f"We have had many requests from your address just now. Please wait {wait} "
                    "and try again."
                ],
                back=None,
            )
            response.headers.update(headers)
        else:
            response = error_response(
                429,
                "rate_limited",
                f"too many requests from your address; wait {wait} (Retry-After) and try again",
                headers=headers,
            )
        await response(scope, receive, send)
