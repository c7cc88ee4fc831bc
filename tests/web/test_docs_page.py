"""/docs in a real browser: Swagger UI 5 (vendored) renders the app's OpenAPI 3.1 schema under
the app's own Content-Security-Policy, from this origin only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from qa.answering.assistant import Assistant
from qa.settings import Settings, parse_api_keys
from tests.support.browser import Tab, bound_socket, origin, serving
from tests.support.casework import API_KEY
from web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def docs_site(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app, support API on, served on a free loopback port."""
    sock = bound_socket()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("docs-data"),
        public_url=origin(sock),
        api_keys=parse_api_keys(API_KEY),
    )
    with serving(create_app(settings, assistant=assistant), sock):
        yield origin(sock)


def test_docs_page_renders_the_operations_of_the_openapi_3_1_schema(
    docs_site: str, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(f"{docs_site}/docs")
    ask = page.locator("#operations-answers-ask")
    expect(ask).to_be_visible()
    expect(ask.locator(".opblock-summary-method")).to_have_text("POST")
    expect(ask.locator(".opblock-summary-path")).to_have_text("/api/ask")
    support = page.locator("#operations-support-list_rights_requests")
    expect(support.locator(".opblock-summary-path")).to_have_text("/api/support/rights-requests")
    # Opening an operation renders its parameters and the response schema of the envelope.
    support.locator(".opblock-summary-control").click()
    expect(support.locator(".parameters-container")).to_contain_text("offset")
    expect(support.locator(".responses-wrapper")).to_contain_text("total")
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    assert page.locator(".opblock").count() >= 20
    assert page.evaluate("window.__csp") == []
    assert all(url.startswith(docs_site) for url in tab.requests), tab.requests
