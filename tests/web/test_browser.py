"""The chat, the widget and the forms in a real browser: Debian's Chromium driven by Playwright.

One browser (tests/support/browser.py); the real app (uvicorn, on a free loopback port) and a
"foreign" site on another port, whose page embeds the widget. Screenshots go to
artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from qa.answering.assistant import Assistant
from qa.settings import Settings
from tests.support.browser import QUESTION_LABEL, Tab, ask, bound_socket, origin, serving
from web.app import create_app

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parents[2] / "artifacts" / "screenshots"


# -- servers ------------------------------------------------------------------------------

HOSTILE_CSS = """
  * { font-family: "Courier New", monospace !important; }
  body { color: rgb(200, 0, 0); font-size: 30px; background: rgb(255, 250, 205); }
  button { background: rgb(0, 128, 0) !important; color: rgb(255, 255, 0); border: 5px dashed red;
           text-transform: uppercase; padding: 30px; font-size: 28px; }
  div, iframe { border: 7px solid rgb(255, 0, 255); }
  iframe { filter: invert(1); }
  h2 { letter-spacing: 12px; }
"""


def foreign_app(assistant_origin: str) -> Starlette:
    """Somebody else's website: loud CSS, its own buttons, and (on /widget) our script tag."""

    def page(with_widget: bool, attributes: str) -> str:
        script = (
            f'<script src="{assistant_origin}/widget.js" async {attributes}></script>'
            if with_widget
            else ""
        )
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<link rel='icon' href='data:,'>"
            f"<title>Foreign shop</title><style>{HOSTILE_CSS}</style>{script}</head><body>"
            "<h2 class='probe'>Foreign shop</h2><p class='probe'>We sell things.</p>"
            "<button class='probe' type='button'>Buy</button><div class='probe'>box</div>"
            "</body></html>"
        )

    async def plain(request: Request) -> HTMLResponse:
        return HTMLResponse(page(False, ""))

    async def widget(request: Request) -> HTMLResponse:
        attributes = (
            'data-title="Ask Foreign about privacy" data-position="bottom-left" '
            'data-colour="#7a1f5c"'
        )
        return HTMLResponse(page(True, attributes))

    return Starlette(routes=[Route("/", plain), Route("/widget", widget)])


@dataclass
class Site:
    """The assistant and the foreign sites, as the browser sees them."""

    url: str
    app: FastAPI
    foreign: str
    unlisted: str
    data_dir: Path


@pytest.fixture(scope="module")
def site(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real app on a free port; the foreign site on two more (one allowed to embed it)."""
    app_sock, foreign_sock, unlisted_sock = bound_socket(), bound_socket(), bound_socket()
    data_dir = tmp_path_factory.mktemp("browser-data")
    settings = Settings(
        data_dir=data_dir,
        public_url=origin(app_sock),
        allowed_origins=(origin(foreign_sock),),
        form_secret="browser-tests",
    )
    app = create_app(settings, assistant=assistant)
    foreign = foreign_app(origin(app_sock))
    with serving(app, app_sock), serving(foreign, foreign_sock), serving(foreign, unlisted_sock):
        yield Site(origin(app_sock), app, origin(foreign_sock), origin(unlisted_sock), data_dir)


# -- the browser --------------------------------------------------------------------------


def shoot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def focused(page: Any) -> dict[str, str]:
    """What has the keyboard focus: tag, text, outline (to see that focus is visible)."""
    result: dict[str, str] = page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || "").trim(),
                  name: el.getAttribute("name") || "", outline: style.outlineStyle,
                  outlineWidth: style.outlineWidth};
        }"""
    )
    return result


# -- the chat -----------------------------------------------------------------------------


def test_chat_answers_with_the_right_section_and_its_link(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(site.url + "/")
    assert page.get_by_role("heading", name="Try asking").is_visible()
    turn = ask(page, "How long do you keep my data?")
    link = turn.locator("article.answer h2 a").first
    assert link.inner_text() == "Data Retention"
    assert link.get_attribute("href") == "/policy#data-retention"
    assert turn.locator(".snippet mark").count() >= 1
    assert page.locator(".starters").count() == 0  # starter questions only on a first visit
    assert page.get_by_label(QUESTION_LABEL).input_value() == ""
    # The section is one sentence, quoted whole: nothing more to read.
    assert turn.locator("article.answer").first.locator("details").count() == 0
    actions = turn.locator(".actions a")
    assert actions.first.inner_text() == "Contact the privacy team"
    # "Read more" shows a longer section whole, in place.
    turn = ask(page, "What data do you collect about me?")
    card = turn.locator("article.answer", has_text="The Data We Collect About You")
    full = card.locator(".full")
    assert not full.is_visible()
    card.get_by_text("Read more").click()
    assert full.is_visible()
    assert "Identity Data" in full.inner_text()
    shoot(page, "chat", full_page=False)
    # No cookie was set and nothing was fetched from any other site.
    assert tab.context.cookies() == []
    assert {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in tab.requests} == {site.url}
    link.click()
    page.wait_for_url(re.compile(r"/policy#data-retention$"))
    assert page.locator("section#data-retention").is_visible()
    assert page.locator("section:target").get_attribute("id") == "data-retention"


def test_chat_rights_question_offers_the_named_request(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    page = open_tab().page
    page.goto(site.url + "/")
    turn = ask(page, "How can I delete my data?")
    request_link = turn.get_by_role("link", name=re.compile("erasure", re.IGNORECASE))
    # The link names the right, and the sections the visitor was shown, for the request.
    shown = [a.get_attribute("data-section-id") for a in turn.locator("article.answer").all()]
    href = request_link.get_attribute("href") or ""
    assert href.startswith("/rights-requests/new?right=erasure&sections=")
    request_link.click()
    page.wait_for_url(re.compile(r"/rights-requests/new\?right=erasure&sections="))
    assert page.get_by_label("What would you like us to do?").input_value() == "erasure"
    carried = page.locator("input[name=sections]").get_attribute("value") or ""
    assert carried and carried == unquote(href.split("sections=", 1)[1])
    assert shown and carried.split(",") == shown


def test_chat_works_by_keyboard_alone_with_visible_focus(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    page = open_tab().page
    page.goto(site.url + "/")
    keyboard = page.keyboard
    keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    # Through the site links and starter questions to the question box, in reading order.
    seen = []
    for _ in range(20):
        keyboard.press("Tab")
        now = focused(page)
        seen.append(now["text"] or now["name"])
        assert now["outline"] != "none", f"no visible focus on {now}"
        if now["name"] == "q":
            break
    assert seen[:3] == ["Ask a question", "Privacy policy", "Contact"]
    assert "How long do you keep my data?" in seen
    keyboard.type("What data do you collect about me?")
    keyboard.press("Enter")
    page.locator(".log .turn").first.wait_for()
    assert focused(page)["name"] == "q"  # ready for the next question
    # Back into the answer: Shift+Tab to its first "Read more" and open it with Enter.
    for _ in range(30):
        keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            summary_text = focused(page)["text"]
            if summary_text.startswith("Read more") and page.evaluate(
                "document.activeElement === document.querySelector('.log summary')"
            ):
                break
    else:
        raise AssertionError("the first 'Read more' cannot be reached by keyboard")
    keyboard.press("Enter")
    assert page.locator(".log details").first.get_attribute("open") is not None
    # On to "Yes" (was this helpful?) and press it with the space bar.
    for _ in range(10):
        keyboard.press("Tab")
        if focused(page)["text"] == "Yes":
            break
    section_id = page.evaluate("document.activeElement.closest('article').dataset.sectionId")
    keyboard.press("Space")
    thanks = page.locator(".log .thanks").first
    thanks.wait_for()
    assert thanks.inner_text() == "Thank you for your feedback."
    assert focused(page)["text"] == "Thank you for your feedback."
    counted = [c for c in site.app.state.services.feedback.counts() if c.section_id == section_id]
    assert [(c.helpful, c.not_helpful) for c in counted] == [(1, 0)]


@pytest.mark.parametrize(
    "payload",
    [
        '<img src=x onerror="window.__pwned=1;alert(1)">',
        "<script>window.__pwned=2;alert(2)</script> how long do you keep data",
        '"><svg onload=alert(3)> delete my data',
    ],
)
def test_a_question_holding_html_is_shown_as_text(
    site: Site, open_tab: Callable[..., Tab], payload: str
) -> None:
    page = open_tab().page
    page.goto(site.url + "/")
    turn = ask(page, payload)
    assert turn.locator(".you").text_content().removeprefix("You asked: ") == payload
    assert page.locator(".log img, .log script, .log svg[onload]").count() == 0
    assert page.evaluate("window.__pwned") is None
    # The same question through the page without JavaScript's help (GET /?q=).
    page.goto(site.url + "/?q=" + re.sub(r"[^A-Za-z0-9]", lambda m: f"%{ord(m[0]):02X}", payload))
    assert page.locator(".you").text_content().removeprefix("You asked: ") == payload
    assert page.get_by_label(QUESTION_LABEL).input_value() == ""
    assert page.locator("main img, main script, main svg").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_unanswered_question_is_escalated_from_the_chat(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    page = open_tab().page
    page.goto(site.url + "/")
    ask(page, "How long do you keep my data?")
    turn = ask(page, "Can I bring my dog to your office?")
    assert "does not cover this question" in turn.locator(".message").inner_text()
    form = turn.locator("form[data-escalate]")
    question = form.get_by_label("Your question for the privacy team")
    assert question.input_value() == "Can I bring my dog to your office?"
    form.get_by_label("Your e-mail address (optional, for a reply)").fill("ana@example.com")
    form.get_by_role("button", name="Send to the privacy team").click()
    error = form.locator(".form-error")
    error.wait_for()
    assert "Tick the box" in error.inner_text()
    form.get_by_label("The privacy team may use this address to reply to me").check()
    form.get_by_role("button", name="Send to the privacy team").click()
    sent = turn.locator(".sent")
    sent.wait_for()
    reference = sent.locator(".reference").inner_text()
    assert re.fullmatch(r"ESC-\d{4}-\d{6}", reference)
    assert "They will reply to ana@example.com within 2 business days." in sent.inner_text()
    shoot(page, "chat-escalation")
    stored = {e.reference: e for e in site.app.state.services.escalations.list()}
    escalation = stored[reference]
    assert escalation.question == "Can I bring my dog to your office?"
    assert escalation.email == "ana@example.com" and escalation.consent
    assert [t.question for t in escalation.transcript] == [
        "How long do you keep my data?",
        "Can I bring my dog to your office?",
    ]
    assert "Data Retention" in escalation.transcript[0].answer
    sent.get_by_role("link", name="Your question's status page").click()
    page.wait_for_url(re.compile(rf"/escalations/{reference}\?token="))
    assert "No reply yet. The privacy team replies within 2 business days." in page.inner_text(
        "main"
    )


def test_unanswered_question_is_escalated_without_javascript(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    page = open_tab(javascript=False).page
    page.goto(site.url + "/")
    page.get_by_label(QUESTION_LABEL).fill("Can I bring my dog to your office?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_url(re.compile(r"\?q="))
    form = page.locator("form[data-escalate]")
    assert form.get_by_label("Your question for the privacy team").input_value() == (
        "Can I bring my dog to your office?"
    )
    form.get_by_role("button", name="Send to the privacy team").click()
    page.wait_for_url(re.compile(r"/escalations/new$"))
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"ESC-\d{4}-\d{6}", reference)
    assert "You gave no e-mail address" in page.locator(".sent").inner_text()


# -- the forms ----------------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_rights_request_is_made_through_the_form(
    site: Site, open_tab: Callable[..., Tab], javascript: bool
) -> None:
    tab = open_tab(javascript=javascript, width=800)
    tab.expected.append(r"status of 422")  # the refused form answers 422, as it should
    page = tab.page
    page.goto(site.url + "/rights-requests/new?right=erasure")
    right = page.get_by_label("What would you like us to do?")
    assert right.input_value() == "erasure"
    page.get_by_label("Which privacy law applies to you?").select_option("ccpa")
    deadline = page.locator("#deadline")
    if javascript:  # the explanation follows the chosen law at once
        assert "Under the CCPA" in deadline.inner_text()
    page.get_by_label("Your full name").fill("Ana Example")
    page.get_by_label("Your e-mail address").fill("not an address")
    page.get_by_role("button", name="Send request").click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "is not an e-mail address" in summary.inner_text()
    assert page.get_by_label("Your e-mail address").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Your full name").input_value() == "Ana Example"
    assert "Under the CCPA" in deadline.inner_text()  # the server explains the chosen law too
    shoot(page, f"rights-form-errors-{'js' if javascript else 'nojs'}")
    page.get_by_label("Your e-mail address").fill("ana@example.com")
    page.get_by_label("Details (optional)").fill("My account is under ana@example.com.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/rights-requests/RR-\d{4}-\d{6}\?token=.+&sent=1$"))
    assert page.get_by_role("heading", name="Request received").is_visible()
    reference = page.locator("dd.reference").inner_text()
    assert page.locator("#request-status").inner_text().startswith("Received")
    shoot(page, f"rights-status-{'js' if javascript else 'nojs'}")
    token = parse_qs(urlsplit(page.url).query)["token"][0]
    stored = site.app.state.services.rights.status(reference, token)
    assert (stored.right, stored.jurisdiction, stored.name) == ("erasure", "ccpa", "Ana Example")
    assert stored.details == "My account is under ana@example.com."
    # Withdrawn from the same page: the box must be ticked (the browser holds the form back
    # until it is), then the page comes back showing the new status and no form.
    withdraw = page.get_by_role("button", name="Withdraw my request")
    withdraw.click()
    assert page.url.endswith("&sent=1")  # still here: the box is required
    page.get_by_label(f"Yes, withdraw request {reference}").check()
    withdraw.click()
    page.wait_for_url(re.compile(rf"/rights-requests/{reference}\?token=[^&]+$"))
    assert page.locator("#request-status").inner_text() == "Withdrawn"
    assert page.get_by_role("button", name="Withdraw my request").count() == 0
    assert site.app.state.services.rights.status(reference, token).status == "withdrawn"


def test_rights_request_form_screenshot(site: Site, open_tab: Callable[..., Tab]) -> None:
    page = open_tab(width=800).page
    page.goto(site.url + "/rights-requests/new?right=access&jurisdiction=gdpr")
    assert "Under the EU GDPR" in page.locator("#deadline").inner_text()
    page.get_by_label("What would you like us to do?").select_option("opt_out")
    assert "15 business days" in page.locator("#deadline").inner_text()
    shoot(page, "rights-form")


# -- the widget ---------------------------------------------------------------------------

PROBE_STYLES = """() => [...document.querySelectorAll('.probe')].map(el => {
  const s = getComputedStyle(el);
  return [el.tagName, s.fontFamily, s.fontSize, s.color, s.backgroundColor, s.borderTopStyle,
          s.borderTopWidth, s.letterSpacing, s.padding, s.textTransform].join('|');
})"""


def launcher(page: Any) -> Any:
    """The widget's launcher button (inside its shadow root; Playwright looks through it)."""
    return page.locator("[data-privacy-qa-widget] button.launcher")


def test_widget_on_a_foreign_page_keeps_both_sides_css_apart(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(site.foreign + "/")
    host_styles = page.evaluate(PROBE_STYLES)
    page.goto(site.foreign + "/widget")
    button = launcher(page)
    button.wait_for()
    # Our CSS does not reach the host page...
    assert page.evaluate(PROBE_STYLES) == host_styles
    # ...and the host's CSS does not reach the launcher.
    style = button.evaluate(
        """el => { const s = getComputedStyle(el);
          return {font: s.fontFamily, bg: s.backgroundColor, border: s.borderTopStyle,
                  transform: s.textTransform, size: s.fontSize}; }"""
    )
    assert "Courier" not in style["font"]
    assert style["bg"] == "rgb(122, 31, 92)"  # data-colour="#7a1f5c"
    assert style["border"] == "none" and style["transform"] == "none"
    assert style["size"] == "16px"
    assert button.inner_text() == "Ask Foreign about privacy"
    box = button.bounding_box()
    assert box is not None and box["x"] < 100  # data-position="bottom-left"
    assert button.get_attribute("aria-expanded") == "false"
    # Nothing was fetched from the assistant but the script until the visitor opens it.
    assert [u for u in tab.requests if u.startswith(site.url)] == [site.url + "/widget.js"]
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator("[data-privacy-qa-widget] iframe")
    question = frame.get_by_label(QUESTION_LABEL)
    question.wait_for()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.matches('[data-privacy-qa-widget]')"
    )
    # panel.js sets the colour once it runs, which may be after the box appears: wait for it.
    expect(frame.locator(".panel-head")).to_have_css("background-color", "rgb(122, 31, 92)")
    assert "Courier" not in frame.locator("body").evaluate("el => getComputedStyle(el).fontFamily")
    question.fill("How long do you keep my data?")
    frame.get_by_role("button", name="Ask", exact=True).click()
    link = frame.locator(".log article.answer h2 a").first
    link.wait_for()
    assert link.inner_text() == "Data Retention"
    assert link.get_attribute("target") == "_blank"  # our other pages may not be framed
    shoot(page, "widget", full_page=False)
    # Closing hands focus back to the launcher.
    frame.get_by_role("button", name="Close Ask Foreign about privacy").click()
    page.wait_for_function(
        "() => document.querySelector('[data-privacy-qa-widget]').shadowRoot"
        ".querySelector('.panel').hidden"
    )
    assert button.get_attribute("aria-expanded") == "false"
    assert button.evaluate("el => el.getRootNode().activeElement === el")
    assert page.evaluate(PROBE_STYLES) == host_styles


def test_widget_fills_a_narrow_screen(site: Site, open_tab: Callable[..., Tab]) -> None:
    page = open_tab(width=320, height=640).page
    page.goto(site.foreign + "/widget")
    launcher(page).click()
    frame = page.frame_locator("[data-privacy-qa-widget] iframe")
    frame.get_by_label(QUESTION_LABEL).fill("How can I delete my data?")
    frame.get_by_role("button", name="Ask", exact=True).click()
    frame.locator(".log article.answer").first.wait_for()
    panel = page.locator("[data-privacy-qa-widget] .panel").bounding_box()
    assert panel is not None and panel["width"] == 320 and panel["height"] == 640
    width = frame.locator("body").evaluate("el => el.ownerDocument.documentElement.scrollWidth")
    assert width <= 320
    shoot(page, "widget-320", full_page=False)
    frame.locator("body").press("Escape")
    launcher(page).wait_for()
    assert launcher(page).is_visible()


def test_widget_panel_refuses_sites_not_allowed_to_embed_it(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    tab.expected.append("frame-ancestors")  # Chromium logs the refused frame
    page = tab.page
    page.goto(site.unlisted + "/widget")
    with page.expect_event("console", lambda m: "frame-ancestors" in m.text):
        launcher(page).click()
    frame = page.frame_locator("[data-privacy-qa-widget] iframe")
    assert frame.get_by_label(QUESTION_LABEL).count() == 0


def test_widget_demo_page_shows_the_widget(site: Site, open_tab: Callable[..., Tab]) -> None:
    page = open_tab().page
    page.goto(site.url + "/widget-demo")
    assert site.url + "/widget.js" in page.locator("pre").inner_text()
    launcher(page).click()
    frame = page.frame_locator("[data-privacy-qa-widget] iframe")
    frame.get_by_role("link", name="How can I delete my data?").click()
    frame.locator(".log article.answer").first.wait_for()
    shoot(page, "widget-demo", full_page=False)


# -- every page at 320 px -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/?q=How+long+do+you+keep+my+data%3F",
        "/?q=Can+I+bring+my+dog",
        "/policy",
        "/contact",
        "/rights-requests/new",
        "/escalations/new",
        "/widget",
    ],
)
def test_pages_fit_a_320_pixel_screen(site: Site, open_tab: Callable[..., Tab], path: str) -> None:
    page = open_tab(width=320, height=640).page
    page.goto(site.url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "chat"
    shoot(page, f"320-{name}")


def test_policy_page_has_contents_anchors_and_last_updated(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    page = open_tab().page
    page.goto(site.url + "/policy")
    assert "Last updated" in page.locator(".updated").inner_text()
    contents = page.get_by_role("navigation", name="Contents")
    contents.get_by_role("link", name="Your Legal Rights").click()
    page.wait_for_url(re.compile(r"/policy#your-legal-rights$"))
    assert page.locator("section:target").get_attribute("id") == "your-legal-rights"


# -- colour contrast ----------------------------------------------------------------------

LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes].filter((n) => n.nodeType === 3)
      .map((n) => n.textContent).join("").trim();
    const style = getComputedStyle(el);
    if (!text || !el.getClientRects().length || style.visibility === "hidden") continue;
    if (el.closest(".visually-hidden, mark")) continue;
    const a = lum(rgb(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) {
      failures.push(`${el.tagName}.${el.className} "${text.slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
  }
  return failures;
}"""


@pytest.mark.parametrize(
    "path",
    [
        "/?q=What+data+do+you+collect+about+me%3F",
        "/?q=Can+I+bring+my+dog",
        "/rights-requests/new",
        "/contact",
        "/policy",
        "/widget?colour=%23ffd400",
    ],
)
def test_text_meets_wcag_aa_contrast(site: Site, open_tab: Callable[..., Tab], path: str) -> None:
    page = open_tab().page
    page.goto(site.url + path)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate(LOW_CONTRAST) == []
