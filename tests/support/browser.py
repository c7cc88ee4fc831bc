"""What the browser tests share: servers on free ports, Debian's Chromium, and tabs that record.

Loaded as a pytest plugin (tests/conftest.py), so its fixtures (`browser`, `open_tab`) are
there for every test module; the plain helpers are imported by name.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
QUESTION_LABEL = "Ask a question about our privacy policy"
TIMEOUT_MS = 10_000

# Every page a tab opens reports its Content Security Policy violations twice: into
# window.__csp (a test reads it) and to the console (open_tab's check fails on it).
CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const report = `${event.violatedDirective} blocked ${event.blockedURI || "(inline)"}`;
  window.__csp.push(report);
  console.error(`CSP violation: ${report}`);
});
"""


# -- servers ------------------------------------------------------------------------------


def bound_socket() -> socket.socket:
    """A listening socket on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def origin(sock: socket.socket) -> str:
    """http://127.0.0.1:PORT of a bound socket."""
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serving(app: Any, sock: socket.socket) -> Iterator[None]:
    """Serve `app` with uvicorn on `sock` in a thread until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


# -- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the session; never a downloaded one."""
    from playwright.sync_api import sync_playwright  # the test extra installs it

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; `make system-deps` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    """A page in a fresh browser context, with what it logged and what it fetched."""

    page: Any
    context: Any
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)  # console errors a test provokes

    def unexpected_console(self) -> list[str]:
        """Errors and CSP reports logged that the test did not provoke."""
        logged = [
            m
            for m in self.console
            if m.startswith("error") or "Content Security" in m or "Refused to" in m
        ]
        return [m for m in logged if not any(re.search(p, m) for p in self.expected)]


@pytest.fixture()
def open_tab(browser: Any) -> Iterator[Callable[..., Tab]]:
    """Open tabs (each its own context); at the end none may have logged an error or a CSP
    violation, and none may have opened a dialog."""
    tabs: list[Tab] = []

    def opener(*, width: int = 1100, height: int = 800, javascript: bool = True) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        tab = Tab(page, context)
        page.on("console", lambda m: tab.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: tab.errors.append(str(e)))

        def on_dialog(dialog: Any) -> None:
            tab.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        context.on("request", lambda r: tab.requests.append(r.url))
        tabs.append(tab)
        return tab

    try:
        yield opener
    finally:
        for tab in tabs:
            tab.context.close()
    for tab in tabs:
        assert tab.dialogs == [], "a dialog opened"
        assert tab.errors == [], "a script failed"
        assert tab.unexpected_console() == [], "the console logged an error or a CSP violation"


def ask(page: Any, question: str) -> Any:
    """Type a question into the chat and wait for its reply; the new turn's locator."""
    turns = page.locator(".log .turn")
    before = turns.count()
    page.get_by_label(QUESTION_LABEL).fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    turn = turns.nth(before)
    turn.wait_for()
    return turn
