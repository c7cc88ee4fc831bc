"""The sender: a server process's background delivery, one loop per outbox (mail, webhooks).

Each outbox wakes its loop itself once a transaction that queued into it commits (Outbox.add
registers the wake with Store.after_commit), so no caller has to remember to; every few seconds
each loop also looks on its own, for what another process queued or a retry that came due."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from qa.delivery.outbox import Outbox
from qa.storage.schema import utcnow

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 5.0


class Sender:
    """The background sender of a server process: one loop per outbox (mail, webhooks), each
    in its own thread so that a slow receiver on one never holds up the other; each delivers
    when woken, and every few seconds."""

    def __init__(self, *outboxes: Outbox, idle_seconds: float = IDLE_POLL_SECONDS) -> None:
        self.outboxes = outboxes
        self.idle_seconds = idle_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakes: list[asyncio.Event] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        for index, box in enumerate(outboxes):
            box.wake = functools.partial(self._wake_one, index)

    @property
    def outbox(self) -> Outbox:
        """The first outbox (the mail's)."""
        return self.outboxes[0]

    def start(self) -> None:
        """Start the sending loops on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._wakes = [asyncio.Event() for _ in self.outboxes]
        self._tasks = [
            self._loop.create_task(self._run(box, wake))
            for box, wake in zip(self.outboxes, self._wakes, strict=True)
        ]

    def wake(self) -> None:
        """Ask every loop for a round of sending now (callable from any thread)."""
        for index in range(len(self._wakes)):
            self._wake_one(index)

    def _wake_one(self, index: int) -> None:
        # One outbox's loop: the mail queued by a request does not start a webhook round.
        if self._loop is not None and not self._loop.is_closed() and index < len(self._wakes):
            self._loop.call_soon_threadsafe(self._wakes[index].set)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current rounds; what is left pending is sent by the next sender."""
        if not self._tasks:
            return
        # A round runs in a thread that cannot be cancelled; it is let finish so that it
        # does not touch the store after the store is closed.
        self._stopping = True
        for wake in self._wakes:
            wake.set()
        try:
            await asyncio.wait_for(asyncio.gather(*self._tasks), timeout)
        except TimeoutError:
            log.warning("outbox: sender did not stop within %s s", timeout)
        self._tasks = []

    async def _run(self, box: Outbox, wake: asyncio.Event) -> None:
        while not self._stopping:
            wake.clear()
            wait = await asyncio.to_thread(self._round, box)
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=wait)

    def _round(self, box: Outbox) -> float:
        """Deliver what is due; the seconds until the soonest retry (at most the idle poll)."""
        try:
            box.deliver_due()
            soonest = box.soonest()
        except Exception as exc:  # a database hiccup must not end the sender
            log.warning("outbox: sending round failed (%s); will retry", type(exc).__name__)
            return self.idle_seconds
        if soonest is None:
            return self.idle_seconds
        # Sleep until the soonest retry is due, so back-off is honoured without a busy loop.
        wait = (soonest - utcnow()).total_seconds()
        return min(max(wait, 0.05), self.idle_seconds)
