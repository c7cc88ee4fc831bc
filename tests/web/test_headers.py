"""Browser-safety headers on every response: every route (OpenAPI and pages), every refusal,
and a real server (no `server` header)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.throughput import serve
from qa.answering.assistant import Assistant
from qa.ratelimits import parse_limits
from tests.support.casework import API_KEY, MailSink, casework_settings, link_in, local, rights_body
from tests.support.routes import every_route, fill
from web.app import MAX_BODY_BYTES, create_app
from web.pages.widget import FRAMED_PATHS

SHOP = "https://shop.example.com"
CACHEABLE = ("/static/", "/widget.js")


def check_headers(path: str, headers: Any) -> None:
    """The headers every response must carry, for a response to `path`."""
    csp = headers.get("content-security-policy", "")
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp, (path, csp)
    framed = path.split("?")[0] in FRAMED_PATHS
    ancestors = f"frame-ancestors 'self' {SHOP}" if framed else "frame-ancestors 'none'"
    assert csp.endswith(ancestors), (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") == "no-referrer", path
    assert "server" not in headers, path
    if not path.startswith(CACHEABLE):
        assert headers.get("cache-control") == "no-store", (path, headers.get("cache-control"))


@pytest.fixture()
def shop_app(tmp_path: Path, assistant: Assistant, smtp: MailSink) -> Iterator[TestClient]:
    """The app with a shop allowed to embed the widget, a support key and a real SMTP server."""
    settings = casework_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        smtp,
        allowed_origins=(SHOP,),
        rate_limits=parse_limits("off"),
    )
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def test_every_route_answers_with_the_security_headers(shop_app: TestClient) -> None:
    app: Any = shop_app.app
    routes = every_route(app)
    documented = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    assert documented <= set(routes)
    auth = {"Authorization": f"Bearer {API_KEY}"}
    for method, template in routes:
        path = fill(template, "x")
        response = shop_app.request(method, path, json={}, headers=auth, follow_redirects=False)
        assert response.status_code < 500, (method, template)
        check_headers(path, response.headers)


def test_refusals_carry_the_security_headers_too(tmp_path: Path, assistant: Assistant) -> None:
    settings = casework_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", MailSink(), api_keys=()
    ).with_values(rate_limits=parse_limits("ask=4/day"), allowed_origins=(SHOP,))
    with TestClient(create_app(settings, assistant=assistant)) as client:
        refusals = {
            404: client.get("/no/such/page"),
            405: client.put("/api/ask"),
            413: client.post("/api/ask", content=b"x" * (MAX_BODY_BYTES + 1)),
            422: client.post("/api/ask", content=b"{not json"),
            403: client.get("/api/support/escalations"),  # no keys configured
        }
        client.post("/api/ask", json={"question": "cookies"})
        refusals[429] = client.post("/api/ask", json={"question": "cookies"})
        preflight = client.options(
            "/api/ask",
            headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"},
        )
    for status, response in refusals.items():
        assert response.status_code == status, response.text
        check_headers(str(response.request.url.path), response.headers)
    check_headers("/api/ask", preflight.headers)
    assert preflight.headers["access-control-allow-origin"] == SHOP


def test_status_and_verification_pages_are_never_cached(
    shop_app: TestClient, smtp: MailSink
) -> None:
    created = shop_app.post("/api/rights-requests", json=rights_body()).json()
    api_status = local(created["status_url"])
    pages = [
        api_status,
        api_status.removeprefix("/api"),  # the HTML status page
        api_status.replace("token=", "token=wrong"),
        "/rights-requests/verify?token=wrong",
    ]
    mail = smtp.wait(1, to="ana@example.com", kind="Please confirm")[0]
    pages.append(link_in(mail, "/rights-requests/verify"))
    for path in pages:
        response = shop_app.get(path)
        assert response.status_code in (200, 404), path
        assert response.headers["cache-control"] == "no-store", path
        check_headers(path, response.headers)


def test_static_files_may_be_cached_and_still_carry_the_headers(shop_app: TestClient) -> None:
    response = shop_app.get("/static/site.css")
    assert response.status_code == 200
    assert "cache-control" not in response.headers and response.headers["etag"]
    check_headers("/static/site.css", response.headers)
    assert response.headers["content-type"].startswith("text/css")


@pytest.mark.slow
def test_a_real_server_sends_no_server_header(tmp_path: Path) -> None:
    with serve(None, tmp_path) as url:
        for path in ("/healthz", "/", "/api/policy", "/static/site.css", "/no/such/page"):
            try:
                with urllib.request.urlopen(url + path, timeout=10) as response:
                    headers = response.headers
            except urllib.error.HTTPError as exc:
                headers = exc.headers
            assert headers.get("server") is None, path
            check_headers(path, {k.lower(): v for k, v in headers.items()})


@pytest.mark.parametrize(
    "asked",
    [
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        {"Origin": SHOP, "Access-Control-Request-Method": "DELETE"},
        {
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-made-up",
        },
    ],
    ids=["origin", "method", "headers"],
)
def test_a_refused_cors_preflight_answers_in_the_error_shape(
    shop_app: TestClient, asked: dict[str, str]
) -> None:
    response = shop_app.options("/api/ask", headers=asked)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "field", "fields"}
    assert (error["status"], error["code"]) == (400, "cors_refused")
    assert "PRIVACY_QA_ALLOWED_ORIGINS" in error["message"]
    check_headers("/api/ask", response.headers)
    assert response.headers.get("access-control-allow-origin") in (None, SHOP)
