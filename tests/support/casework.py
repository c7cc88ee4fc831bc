"""Fixtures for the casework tests: a real SMTP server, and stores on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from qa.answering.assistant import Assistant
from qa.ratelimits import parse_limits
from qa.settings import Settings
from qa.storage.schema import metadata, rights_requests, utcnow
from web.app import create_app

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PRIVACY = "privacy@example.com"
API_KEY = "test-support-key-0123456789"
T = TypeVar("T")


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    condition: Callable[[], T | None], timeout: float = 10.0, what: str = "condition"
) -> T:
    """Poll `condition` until it gives a true value (returned), failing after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Received:
    """A mail the test SMTP server accepted."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The decoded text body."""
        part = self.message.get_body(("plain",))
        assert part is not None
        content: str = part.get_content()
        return content


@dataclass
class MailSink:
    """A real SMTP server (aiosmtpd) on a loopback port, keeping every mail it accepts."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the mail."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> None:
        """Listen (again) on the sink's port."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: mail sent now fails to connect."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mails(self, to: str | None = None, kind: str | None = None) -> list[Received]:
        """Mails so far, to one address and/or whose subject starts with `kind`."""
        with self._lock:
            found = list(self.received)
        if to is not None:
            found = [m for m in found if to in m.recipients]
        if kind is not None:
            found = [m for m in found if str(m.message["Subject"]).startswith(kind)]
        return found

    def wait(self, count: int, to: str | None = None, kind: str | None = None) -> list[Received]:
        """Wait until at least `count` such mails have arrived."""

        def enough() -> list[Received] | None:
            found = self.mails(to, kind)
            return found if len(found) >= count else None

        return wait_for(enough, what=f"{count} mail(s) to {to or 'anyone'}")


@pytest.fixture()
def smtp() -> Iterator[MailSink]:
    """A running SMTP server, stopped at the end of the test."""
    sink = MailSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture()
def smtp_down() -> Iterator[MailSink]:
    """An SMTP server that is not started yet (the test starts it); stopped at the end."""
    sink = MailSink()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema of the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casework.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES, pool_pre_ping=True)  # PostgreSQL may restart meanwhile
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        # Every connection of the store finds its tables in the test's own schema.
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def casework_settings(
    data_dir: Path, database_url: str | None, sink: MailSink, **more: Any
) -> Settings:
    """Settings for a casework test: its database (None: SQLite in `data_dir`), its SMTP
    server, quick retries."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port,
        "privacy_email": PRIVACY,
        "mail_from": "assistant@example.com",
        "public_url": "http://testserver",
        "api_keys": (API_KEY,),
        "mail_retry_seconds": 0.05,
        # These tests send many requests from one client and address; tests/web/test_throttle.py
        # holds the limits.
        "rate_limits": parse_limits("off"),
    }
    values.update(more)
    return Settings(**values)


@pytest.fixture()
def settings(tmp_path: Path, database_url: str, smtp: MailSink) -> Settings:
    """Casework settings over the parametrized database and the running SMTP server."""
    return casework_settings(tmp_path, database_url, smtp)


@pytest.fixture()
def desk(settings: Settings, assistant: Assistant) -> Iterator[TestClient]:
    """The real app in-process with its store, outbox and sender, on SQLite and PostgreSQL."""
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


@pytest.fixture()
def commands(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The casework settings, also in PRIVACY_QA_* for `privacy-qa` commands (qa.cli.main.main)."""
    for name, value in settings.to_environ().items():
        if value:
            monkeypatch.setenv(name, value)
    return settings


def rights_body(**changes: Any) -> dict[str, Any]:
    """A valid rights-request body, with some fields changed."""
    body: dict[str, Any] = {
        "right": "erasure",
        "jurisdiction": "gdpr",
        "name": "Ana Lima",
        "email": "ana@example.com",
        "details": "Customer number 4411",
        "question": "please delete my data",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def local(url: str) -> str:
    """The path and query of an absolute URL the app made (public_url is http://testserver)."""
    assert url.startswith("http://testserver/"), url
    return url.removeprefix("http://testserver")


def link_in(mail: Received, path: str) -> str:
    """The first link in a mail's body whose path starts with `path`."""
    for word in mail.body.split():
        if word.startswith("http://testserver" + path):
            return local(word)
    raise AssertionError(f"no {path} link in:\n{mail.body}")


def expire_link(database_url: str, reference: str) -> None:
    """Move a request's verification link's expiry into the past, as if its hours had gone by."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.update(rights_requests)
                .where(rights_requests.c.reference == reference)
                .values(verify_expires_at=utcnow() - timedelta(seconds=1))
            )
    finally:
        engine.dispose()


def form_fields(page: str, form_id: str) -> tuple[str, dict[str, str]]:
    """The action and the hidden fields of the form with this id in a page (AssertionError if
    the page has no such form)."""
    pattern = rf'<form method="post" action="([^"]+)" id="{form_id}">(.*?)</form>'
    found = re.search(pattern, page, re.S)
    assert found, f"the page has no form {form_id!r}"
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found.group(2))
    return html.unescape(found.group(1)), {name: html.unescape(value) for name, value in hidden}


def every_stored_value(database_url: str) -> str:
    """Every value of every row of every table, as one text to search."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return "\n".join(
                str(tuple(row))
                for table in metadata.sorted_tables
                for row in conn.execute(sa.select(table))
            )
    finally:
        engine.dispose()
