"""The throttle reads a request's kind from its route template: the same kind as the path's,
for every route and for paths no route takes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qa.ratelimits import DEFAULT_LIMITS
from tests.support.routes import every_route, fill
from web.middleware.buckets import MemoryBuckets
from web.middleware.clients import Clients
from web.middleware.throttle import Throttle, bucket_for


def throttle_of(client: TestClient) -> Throttle:
    """A throttle over the app's own route templates."""
    app = client.app
    return Throttle(app, DEFAULT_LIMITS, MemoryBuckets(), Clients(b"k" * 32), app.state.routes)  # type: ignore[attr-defined]


def scope(method: str, path: str) -> dict[str, object]:
    """An HTTP request before routing, as the throttle sees it."""
    return {"type": "http", "method": method, "path": path, "headers": []}


def test_every_route_gets_the_kind_of_its_path(client: TestClient) -> None:
    throttle = throttle_of(client)
    for method, template in every_route(client.app):  # type: ignore[arg-type]
        path = fill(template, "x")
        assert throttle.kind(scope(method, path)) == bucket_for(method, path), (method, path)
        # Asked again, from the cache of template kinds: the same.
        assert throttle.kind(scope(method, path)) == bucket_for(method, path), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/api/support/no-such-list", "support"),
        ("GET", "/rights-requests/RR-2026-000001/no/such/page", "lookup"),
        ("PUT", "/api/ask", "ask"),
        ("GET", "/api/rights-requests", "read"),
        ("BREW", "/nothing-here", "read"),
        ("GET", "/healthz", None),
    ],
)
def test_a_path_no_route_takes_keeps_its_paths_kind(
    client: TestClient, method: str, path: str, kind: str | None
) -> None:
    assert throttle_of(client).kind(scope(method, path)) == kind
