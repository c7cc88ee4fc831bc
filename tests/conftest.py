"""Shared fixtures: the bundled policy, an assistant over it, and the real app in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.library import Library, load_library
from qa.answering.assistant import Assistant
from qa.settings import Settings, bundled_policy
from web.app import create_app

DATA = Path(__file__).parent / "data"

# Fixtures of the casework tests (a real SMTP server, SQLite and PostgreSQL stores), of the
# browser tests (Debian's Chromium, tabs that record dialogs, errors and CSP violations), of the
# tests that start `privacy-qa serve` processes, and the check that every test starting a process
# carries its marker.
pytest_plugins = [
    "tests.support.casework",
    "tests.support.browser",
    "tests.support.servers",
    "tests.support.markers",
]


@pytest.fixture(scope="session")
def library() -> Library:
    """The bundled privacy policy."""
    return load_library(bundled_policy())


@pytest.fixture(scope="session")
def assistant(library: Library) -> Assistant:
    """An assistant over the bundled policy, built once for the session."""
    return Assistant(library)


@pytest.fixture()
def client(assistant: Assistant, tmp_path: Path) -> Iterator[TestClient]:
    """The real app in-process, over the bundled policy (its database in a fresh folder)."""
    with TestClient(create_app(Settings(data_dir=tmp_path), assistant=assistant)) as test_client:
        yield test_client


def client_over(name: str, data_dir: Path) -> Iterator[TestClient]:
    """The real app in-process over a fixture policy (file or directory) in tests/data, its
    database in `data_dir`."""
    settings = Settings(policy=DATA / name, data_dir=data_dir)
    assistant = Assistant(load_library(settings.policy))
    with TestClient(create_app(settings, assistant=assistant)) as test_client:
        yield test_client


@pytest.fixture()
def widgets_client(tmp_path: Path) -> Iterator[TestClient]:
    """The app over tests/data/widgets-policy.md (Example Widgets Ltd, its own contact card)."""
    yield from client_over("widgets-policy.md", tmp_path)


@pytest.fixture()
def acme_client(tmp_path: Path) -> Iterator[TestClient]:
    """The app over tests/data/library: privacy-policy.md beside cookie-policy.md."""
    yield from client_over("library", tmp_path)


@pytest.fixture()
def unsafe_client(tmp_path: Path) -> Iterator[TestClient]:
    """The app over tests/data/unsafe-policy.md: raw HTML and a javascript: link in the text."""
    yield from client_over("unsafe-policy.md", tmp_path)
