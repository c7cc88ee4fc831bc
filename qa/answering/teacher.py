"""Keeping a server's assistant taught: the examples in the database, reloaded when another
process changes them, and the warnings for examples of sections that are gone."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence

from qa.answering.assistant import Assistant
from qa.answering.example_files import example_file
from qa.answering.examples import ExampleMap, Examples, Key, merge
from qa.periodic import Periodic

log = logging.getLogger(__name__)

RELOAD_SECONDS = 5.0


class Teacher:
    """Keeps an assistant up to date with the examples in the database.

    `refresh()` compares the version counter with the one last loaded and, when it moved, builds
    a new assistant from `base` with the base's own examples (the files') and the database's,
    and hands it to `on_change`. The process that adds or removes an example refreshes at once;
    the others notice within `interval` seconds: one indexed read of one row each time, where a
    check per question would have put a database read on every answer."""

    def __init__(
        self,
        examples: Examples,
        base: Assistant,
        on_change: Callable[[Assistant], None],
        interval: float = RELOAD_SECONDS,
    ) -> None:
        self.examples = examples
        self.base = base
        self.on_change = on_change
        self.interval = interval
        self.stored: ExampleMap = {}
        self.assistant = base
        self._version: int | None = None
        self._lock = threading.Lock()
        self.periodic = Periodic("examples check", self._step, first_wait=interval)

    def refresh(self) -> bool:
        """Rebuild the assistant if the examples changed; whether it did."""
        with self._lock:
            # The version is read before the examples: a change made in between is loaded now
            # and seen again at the next check, never missed.
            version = self.examples.version()
            if version == self._version:
                return False
            stored = self.examples.load()
            self._version = version
            if stored == self.stored:
                return False
            self.stored = stored
            self.assistant = (
                self.base.with_examples(merge(self.base.examples, stored)) if stored else self.base
            )
            # Inside the lock, so that two refreshes never hand over their assistants out of order.
            self.on_change(self.assistant)
        return True

    def _step(self) -> float:
        try:
            self.refresh()
        except Exception as exc:  # the database may be away a while; answers go on
            log.warning("examples check failed (%s); will retry", type(exc).__name__)
        return self.interval

    def start(self) -> None:
        """Check every `interval` seconds on the running event loop (0: never)."""
        if self.interval > 0:
            self.periodic.start()

    async def stop(self) -> None:
        """Stop checking."""
        await self.periodic.stop()


def stale_warnings(
    assistant: Assistant,
    stored: Mapping[Key, Sequence[str]],
    given: Mapping[Key, Sequence[str]] | None = None,
) -> list[str]:
    """One line per (document, section) whose examples name a section that does not exist: how
    many, where they are (`stored`: the database; `given`: the files) and the fix. Never the
    questions themselves: the section and the count say enough."""
    lines = []
    library = assistant.library
    for document, section_id in assistant.stale_examples:
        key = (document, section_id)
        in_db = len(stored.get(key, ()))
        in_file = len((given or {}).get(key, ()))
        gone = "document" if document not in library.documents else "section"
        what = f"{document}#{section_id}, which is no {gone} of the policy"
        if in_db:
            lines.append(
                f"{in_db} example question(s) in the database are for {what}; remove them "
                f"(`privacy-qa examples list --document {document}` marks them stale, then "
                "`privacy-qa examples remove ID`) or add them again under the section's new id"
            )
        if in_file:
            policy = library.get(document)
            path = example_file(policy) if policy is not None else None
            where = str(path) if path is not None else "the assistant's own examples"
            lines.append(
                f"{in_file} example question(s) in {where} are for {what}; move them under "
                "the section's new id or delete them"
            )
    return lines
