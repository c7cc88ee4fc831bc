"""A task a server process repeats on its event loop: blocking work in a thread, then a wait.

The one loop of the server's background work: the retention purge, the reminder digest, the
question log's flush and the examples check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs `step` in a worker thread, again after the seconds it returns, until stopped;
    the first step runs at once, or after `first_wait` seconds."""

    def __init__(self, name: str, step: Callable[[], float], first_wait: float = 0.0) -> None:
        self.name = name
        self.step = step
        self.first_wait = first_wait
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start on the running event loop."""
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop; a step under way (in its thread, which cannot be cancelled) is let finish, so
        that it does not touch a store that is being closed."""
        if self._task is None or self._stop is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, timeout)
        except TimeoutError:
            log.warning("%s did not stop within %s s", self.name, timeout)
        self._task = None

    async def _run(self) -> None:
        assert self._stop is not None
        wait = self.first_wait
        while True:
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=wait)
            if self._stop.is_set():
                return
            wait = await asyncio.to_thread(self.step)
