"""The widget's loader, its framed panel, and who may embed it (CSP frame-ancestors, CORS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.errors import SettingsError
from qa.settings import Settings
from web.app import create_app

SHOP = "https://shop.example.com"


@pytest.fixture()
def embedded(assistant: Assistant, tmp_path: Path) -> Iterator[TestClient]:
    """The app with one site allowed to embed the widget."""
    settings = Settings(
        data_dir=tmp_path,
        allowed_origins=(SHOP,),
        public_url="https://privacy.example.com",
    )
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def test_widget_script_is_served_for_other_sites_to_load(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "attachShadow" in response.text and "adoptedStyleSheets" in response.text


def test_only_the_widget_panel_may_be_framed_and_only_by_allowed_sites(
    embedded: TestClient,
) -> None:
    panel = embedded.get("/widget")
    assert panel.status_code == 200
    assert (
        "frame-ancestors 'self' https://shop.example.com"
        in panel.headers["content-security-policy"]
    )
    assert "x-frame-options" not in panel.headers
    for path in ("/", "/policy", "/rights-requests/new", "/contact"):
        page = embedded.get(path)
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_without_allowed_origins_only_our_own_pages_frame_the_panel(client: TestClient) -> None:
    csp = client.get("/widget").headers["content-security-policy"]
    assert csp.endswith("frame-ancestors 'self'")


def test_no_page_allows_inline_script_or_style(embedded: TestClient) -> None:
    for path in ("/", "/widget", "/widget-demo", "/policy", "/rights-requests/new"):
        csp = embedded.get(path).headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp


def test_allowed_sites_may_call_the_api_and_others_may_not(embedded: TestClient) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    allowed = embedded.options("/api/ask", headers={"origin": SHOP, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SHOP
    refused = embedded.options("/api/ask", headers={"origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    answer = embedded.post("/api/ask", json={"question": "retention"}, headers={"origin": SHOP})
    assert answer.headers["access-control-allow-origin"] == SHOP
    assert "access-control-allow-credentials" not in answer.headers


def test_panel_title_and_colour_from_the_host_page_cannot_inject_anything(
    client: TestClient,
) -> None:
    page = client.get(
        "/widget",
        params={"title": '<script>alert(1)</script>"', "colour": "red;background:url(//x)"},
    ).text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in page
    assert 'data-colour="#0b5cad"' in page  # not a #rgb or #rrggbb: the default
    page = client.get("/widget", params={"title": "  Help   me ", "colour": "#7A1F5C"}).text
    assert "<h1>Help me</h1>" in page and 'data-colour="#7a1f5c"' in page
    assert "<h1>Privacy questions</h1>" in client.get("/widget", params={"title": " "}).text


def test_panel_links_open_a_new_tab_since_other_pages_may_not_be_framed(
    client: TestClient,
) -> None:
    page = client.get("/widget", params={"q": "How long do you keep my data?"}).text
    assert '<a href="/policy#data-retention" target="_blank" rel="noopener">' in page
    chat = client.get("/", params={"q": "How long do you keep my data?"}).text
    assert '<a href="/policy#data-retention">' in chat


def test_demo_page_shows_the_snippet_for_the_public_url(embedded: TestClient) -> None:
    page = embedded.get("/widget-demo").text
    assert '<script src="/widget.js" async' in page
    assert '&lt;script src="https://privacy.example.com/widget.js" async' in page
    assert "https://shop.example.com" in page


def test_allowed_origins_setting_is_a_list_of_origins() -> None:
    settings = Settings.from_env(
        {"PRIVACY_QA_ALLOWED_ORIGINS": " https://Shop.Example.com/ ,http://localhost:3000,"}
    )
    assert settings.allowed_origins == ("https://shop.example.com", "http://localhost:3000")
    assert settings.to_environ()["PRIVACY_QA_ALLOWED_ORIGINS"] == (
        "https://shop.example.com,http://localhost:3000"
    )
    for bad in ("shop.example.com", "https://shop.example.com/page", "*", "ftp://x.example"):
        with pytest.raises(SettingsError, match="PRIVACY_QA_ALLOWED_ORIGINS") as raised:
            Settings.from_env({"PRIVACY_QA_ALLOWED_ORIGINS": bad})
        assert "is not an origin" in raised.value.message
