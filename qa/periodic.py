"""A task a server process repeats on its event loop: blocking work in a thread, then a wait.

The retention purge, the question log and the examples check each have their own loop (they
came first); new periodic work uses this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs `step` in a worker thread, again after the seconds it returns, until stopped."""

    def __init__(self, name: str, step: Callable[[], float]) -> None:
        self.name = name
        self.step = step
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start on the running event loop; the first step runs at once."""
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
        while not self._stop.is_set():
            wait = await asyncio.to_thread(self.step)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=max(wait, 0.0))
