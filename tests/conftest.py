"""Shared fixtures: the bundled policy, an assistant over it, and the real app in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.library import Library, load_library
from qa.assistant import Assistant
from qa.settings import Settings, bundled_policy
from web.app import create_app

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def library() -> Library:
    """The bundled privacy policy."""
    return load_library(bundled_policy())


@pytest.fixture(scope="session")
def assistant(library: Library) -> Assistant:
    """An assistant over the bundled policy, built once for the session."""
    return Assistant(library)


@pytest.fixture()
def client(assistant: Assistant) -> Iterator[TestClient]:
    """The real app in-process, over the bundled policy."""
    with TestClient(create_app(Settings(), assistant=assistant)) as test_client:
        yield test_client
