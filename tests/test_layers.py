"""The layers stand apart: reading settings or opening the store loads no part of the ranker."""

from __future__ import annotations

import subprocess
import sys

RANKER_MODULES = ("rank_bm25", "numpy", "Stemmer", "symspellpy", "markdown_it")


def _loaded_after(statement: str) -> list[str]:
    # A fresh interpreter: this test process has long since imported the ranker.
    probe = (
        f"import sys; {statement}; "
        f"print(','.join(m for m in {RANKER_MODULES!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_store_and_settings_load_no_ranker_module() -> None:
    assert _loaded_after("import qa.storage.store, qa.settings") == []


def test_the_assistant_does_load_them() -> None:
    # The probe itself works: the module that ranks does import what it ranks with.
    assert "rank_bm25" in _loaded_after("import qa.answering.assistant")
