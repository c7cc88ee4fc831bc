"""Python code run in a new process on the plain sources, the compiled build (index/compiled.py)
switched off."""

from __future__ import annotations

import subprocess
import sys

from index.compiled import ROOT, SWITCH


def run_plain(code: str) -> str:
    """What `code` prints, run by this interpreter in the checkout without the compiled build."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={SWITCH: "off", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout
