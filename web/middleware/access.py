"""What each request did, told without the visitor: method, route template, status, duration.

`Recorder` times every request and hands (method, route, status, seconds) to its observers:
the access log below and the metrics (web/metrics.py). The route is the template the request
matched (`/api/rights-requests/{reference}`), never the path or the query string, which can
carry tokens, references and questions; the client's address is not looked at.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.logs import ACCESS_LOGGER

Observer = Callable[[str, str, int, float], None]
UNMATCHED = "unmatched"
# Any other token is logged as OTHER: a method is free text a client can fill with anything.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger(ACCESS_LOGGER)


class RouteTemplates:
    """The route template of a request, from the app's own routes."""

    def __init__(self, routes: Callable[[], Sequence[Any]]) -> None:
        self._routes = routes
        self._by_route: dict[int, str] | None = None
        self._patterns: list[tuple[re.Pattern[str], frozenset[str], str]] = []

    def _build(self) -> dict[int, str]:
        by_route: dict[int, str] = {}
        patterns = []
        for context in iter_route_contexts(self._routes()):
            template = context.path_format
            if template is None:
                continue
            by_route[id(context.original_route)] = template
            regex = getattr(context, "path_regex", None)
            if isinstance(regex, re.Pattern):
                patterns.append((regex, frozenset(context.methods or ()), template))
        self._patterns = patterns
        self._by_route = by_route
        return by_route

    def of(self, scope: Scope) -> str:
        """The template of the route that handled (or would handle) `scope`, or "unmatched"."""
        by_route = self._by_route if self._by_route is not None else self._build()
        route = scope.get("route")
        if route is not None and id(route) in by_route:
            return by_route[id(route)]
        # Refused before routing (429, 413): find the route the request was meant for.
        path = scope["path"]
        partial = None
        for regex, methods, template in self._patterns:
            if regex.match(path):
                if not methods or scope["method"] in methods:
                    return template
                partial = partial or template
        return partial or UNMATCHED

    def methods(self, path: str) -> list[str]:
        """Every method some route takes at `path` (for a 405's Allow), sorted."""
        if self._by_route is None:
            self._build()
        found = {m for regex, methods, _ in self._patterns if regex.match(path) for m in methods}
        return sorted(found)


def method_of(scope: Scope) -> str:
    """The request's method if it is a standard one, else OTHER."""
    method: str = scope["method"]
    return method if method in METHODS else "OTHER"


class Recorder:
    """Time each HTTP request and tell the observers its method, route, status and duration."""

    def __init__(self, app: ASGIApp, templates: RouteTemplates, observers: Sequence[Observer]):
        self.app = app
        self.templates = templates
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before it answers, the server sends a 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed = time.perf_counter() - started
            route = self.templates.of(scope)
            method = method_of(scope)
            for observe in self.observers:
                observe(method, route, status, elapsed)


def log_access(method: str, route: str, status: int, seconds: float) -> None:
    """One access-log line: no address, path, query, header or body."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "%s %s %d",
            method,
            route,
            status,
            extra={
                "fields": {
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                }
            },
        )
