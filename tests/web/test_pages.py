"""HTML pages: the policy with an anchor per section, the contact card, nothing unescaped."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

SCRIPT = "<script>alert(1)</script>"


def test_policy_page_has_a_contents_entry_and_an_anchor_per_section(
    widgets_client: TestClient,
) -> None:
    page = widgets_client.get("/policy")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    ids = [s["id"] for s in widgets_client.get("/api/policy").json()["sections"]]
    for section_id in ids:
        assert f'id="{section_id}"' in page.text
        if section_id != "preamble":
            assert f'href="#{section_id}"' in page.text
    assert "Widgets Privacy Notice" in page.text
    assert "March 3, 2025" in page.text
    assert "We retain order records for six years" in page.text


def test_every_answer_url_lands_on_an_anchor_of_the_policy_page(client: TestClient) -> None:
    page = client.get("/policy").text
    anchors = set(re.findall(r'<section id="([^"]+)"', page))
    data = client.get("/api/ask", params={"q": "how long do you keep my data", "top_k": 20}).json()
    for section in data["sections"]:
        path, _, anchor = section["url"].partition("#")
        assert path == "/policy" and anchor in anchors


def test_contact_page_shows_the_card_from_the_policy(widgets_client: TestClient) -> None:
    page = widgets_client.get("/contact")
    assert page.status_code == 200
    for text in (
        "Example Widgets Ltd",
        "12 Orchard Lane",
        "Bristol BS1 4AA",
        'href="mailto:privacy@widgets.example"',
        "+44 117 496 0123",
        "https://widgets.example",
        'href="/policy#contact-us"',
    ):
        assert text in page.text
    assert "openinfrastructure" not in page.text


def test_raw_html_in_a_policy_is_escaped_on_the_policy_page(unsafe_client: TestClient) -> None:
    page = unsafe_client.get("/policy").text
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert 'href="javascript:' not in page
    assert "Hello &lt;script&gt;alert('policy')&lt;/script&gt; world." in page
    assert "Unsafe &lt;b&gt;Notice&lt;/b&gt;" in page
    assert 'href="https://example.org/rules"' in page


def test_raw_html_in_a_policy_is_escaped_in_the_section_api(unsafe_client: TestClient) -> None:
    sections = unsafe_client.get("/api/policy").json()["sections"]
    first = unsafe_client.get(f"/api/policy/sections/{sections[0]['id']}").json()
    assert "<script" in first["markdown"]
    assert "<script" not in first["html"] and 'href="javascript:' not in first["html"]


def test_a_question_with_a_script_tag_is_escaped_on_the_chat_page(client: TestClient) -> None:
    page = client.get("/", params={"q": f"{SCRIPT} how long do you keep my data"})
    assert page.status_code == 200
    assert SCRIPT not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_other_documents_have_their_own_page_and_are_linked(acme_client: TestClient) -> None:
    main = acme_client.get("/policy").text
    assert 'href="/policy/cookie-policy"' in main
    cookies = acme_client.get("/policy/cookie-policy")
    assert cookies.status_code == 200
    assert 'id="managing-cookies"' in cookies.text
    assert "Acme Cookie Policy" in cookies.text
    assert acme_client.get("/policy/nope").status_code == 404


def test_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    for path in ("/", "/policy", "/contact"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert headers["x-content-type-options"] == "nosniff"


def test_api_docs_page_is_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text
    for src in re.findall(r'src="([^"]+)"', page.text):
        assert client.get(src).status_code == 200, src
