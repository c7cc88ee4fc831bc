"""The markers keep their rule: a test that starts a process carries `slow` (or `browser`, `fuzz`).

`make test-fast` leaves out the marked tests; an unmarked test that starts `privacy-qa serve`, a
code generator or `pg_ctlcluster` would quietly make it slow again. So, for each unmarked test,
every `subprocess.Popen` (which `subprocess.run` and asyncio use too) is recorded, and the test
fails afterwards naming the command and the marker it needs. The process itself still runs: the
test's own result is not changed, only a missing marker is reported.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

MARKERS = ("slow", "browser", "fuzz")


@pytest.fixture(autouse=True)
def _processes_need_a_marker(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if any(request.node.get_closest_marker(name) for name in MARKERS):
        yield
        return
    started: list[str] = []
    original = subprocess.Popen.__init__

    def recording(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        started.append(str(args[0] if isinstance(args, list | tuple) and args else args))
        original(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording)
    yield
    if started:
        pytest.fail(
            f"{request.node.nodeid} starts a process ({', '.join(started)}) but is not marked:"
            " add @pytest.mark.slow (see [tool.pytest.ini_options] markers in pyproject.toml)",
            pytrace=False,
        )
