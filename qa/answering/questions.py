"""The operator's opt-in question log: anonymised questions, kept some days, to find the gaps.

Off by default (PRIVACY_QA_QUESTION_LOG_DAYS=0): then nothing is queued or stored. When on, a
question is redacted before it is queued, so the unredacted text never leaves the request; a
row keeps the redacted text, the day (not the time), whether it was answered, the confidence,
the top section and its document: no address, client id or session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, delete, func, select

from qa.answering.answers import Answer
from qa.periodic import Periodic
from qa.storage.schema import question_log, utcnow
from qa.storage.store import Store

log = logging.getLogger(__name__)

MAX_TEXT = 500
MAX_QUEUE = 10_000  # at most this many unwritten rows in memory while the database is away
FLUSH_SECONDS = 2.0

# Order matters: addresses and URLs hold digits and dots that the number patterns would split.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE), "[email]"),
    (re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE), "[url]"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "[ip]"),
    (re.compile(r"(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])", re.IGNORECASE), "[ip]"),
    # A name after a self-introduction: "my name is Alice Smith", "I'm Bob". The cue is matched
    # in any case, the name by its capital letters.
    (
        re.compile(
            r"\b((?i:my\s+name\s+is|name\s*:|i\s+am|i['\u2019]m|im|this\s+is|call\s+me)\s+)"
            r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*"
        ),
        r"\1[name]",
    ),
)
# Digit runs, with the separators people type: 6 or more digits are a phone, card, account or
# customer number, and any of them identifies a person.
_DIGITS = re.compile(r"\+?\d(?:[\s./()-]{0,2}\d){5,}")


def _number(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(c.isdigit() for c in text)
    if text.startswith("+") or (7 <= digits <= 11 and re.search(r"[\s().-]", text)):
        return "[phone]"
    return "[number]"


def redact(question: str) -> str:
    """The question with e-mails, URLs, IPs, names and long numbers replaced, cut to 500."""
    text = " ".join(question.split())
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    text = _DIGITS.sub(_number, text)
    # Redacted first, cut after: a cut could leave half an address the patterns miss.
    return text[:MAX_TEXT]


@dataclass(frozen=True)
class LoggedQuestion:
    """One row of the question log."""

    id: int
    question: str
    day: date
    answered: bool
    confidence: float
    section: str | None
    document: str | None
    kind: str | None = None  # null for rows logged before the kind was kept

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "id": self.id,
            "question": self.question,
            "day": self.day.isoformat(),
            "answered": self.answered,
            "confidence": self.confidence,
            "section": self.section,
            "document": self.document,
            "kind": self.kind,
        }


class QuestionLog:
    """Redacted questions queued in memory and written in batches by a background task.

    A batch every couple of seconds costs one commit, where a write per ask would put a
    synchronous commit (an fsync on SQLite) on every answer; rows still queued when a process
    is killed are lost, which an aid to editing the policy can afford."""

    def __init__(self, store: Store, days: int, interval: float = FLUSH_SECONDS) -> None:
        self.store = store
        self.days = days
        self.interval = interval
        self._queue: deque[dict[str, Any]] = deque(maxlen=MAX_QUEUE)
        self._lock = threading.Lock()
        self.periodic = Periodic("question log flush", self._step, first_wait=interval)

    @property
    def enabled(self) -> bool:
        """Whether questions are kept at all."""
        return self.days > 0

    def add(self, question: str, answer: Answer, document: str | None = None) -> None:
        """Queue one answered (or declined) question, redacted; nothing when the log is off."""
        if not self.enabled:
            return
        top = answer.sections[0] if answer.sections else None
        where = (top.document if top else None) or document
        row = {
            "question": redact(question),
            "day": utcnow().date(),
            "answered": answer.answered,
            "confidence": round(answer.confidence, 2),
            "section": top.id[:200] if top else None,
            "document": where[:200] if where else None,
            "kind": answer.kind[:16],
        }
        self._queue.append(row)

    def flush(self) -> int:
        """Write the queued rows in one transaction; how many were written."""
        with self._lock:
            rows = list(self._queue)
            self._queue.clear()
            if not rows:
                return 0
            try:
                with self.store.transaction() as conn:
                    conn.execute(question_log.insert(), rows)
            except Exception:
                # Back in the queue for the next flush (the deque's bound drops the oldest).
                self._queue.extendleft(reversed(rows))
                raise
        return len(rows)

    def recent(
        self, answered: bool | None = None, limit: int = 100, offset: int = 0
    ) -> list[LoggedQuestion]:
        """Logged questions, newest first, only answered or declined ones if asked."""
        query = _logged(answered).order_by(question_log.c.id.desc()).limit(limit).offset(offset)
        with self.store.read() as conn:
            return [LoggedQuestion(**row._mapping) for row in conn.execute(query)]

    def count(self, answered: bool | None = None) -> int:
        """How many questions `recent` would give with the same filter and no limit."""
        query = select(func.count()).select_from(_logged(answered).subquery())
        with self.store.read() as conn:
            return int(conn.execute(query).scalar_one())

    def counts(self, answered: bool = False, limit: int = 50) -> list[tuple[str, int]]:
        """The most frequent redacted questions (declined ones by default), with their counts."""
        n = func.count().label("n")
        query = (
            select(question_log.c.question, n)
            .where(question_log.c.answered == answered)
            .group_by(question_log.c.question)
            .order_by(n.desc(), question_log.c.question)
            .limit(limit)
        )
        with self.store.read() as conn:
            return [(row.question, int(row.n)) for row in conn.execute(query)]

    def _step(self) -> float:
        try:
            self.flush()
        except Exception as exc:  # the database may be away for a while; rows wait
            log.warning("question log flush failed (%s); will retry", type(exc).__name__)
        return self.interval

    def start(self) -> None:
        """Flush on the running event loop every `interval` seconds."""
        if self.enabled:
            self.periodic.start()

    async def stop(self) -> None:
        """Stop the task and write what is still queued."""
        await self.periodic.stop()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.flush)


def purge_questions(conn: Connection, days: int, now: datetime) -> int:
    """Delete logged questions older than `days` days; every one when the log is off (0)."""
    statement = delete(question_log)
    if days > 0:
        statement = statement.where(question_log.c.day < (now - timedelta(days=days)).date())
    return conn.execute(statement).rowcount or 0


def _logged(answered: bool | None) -> Select[Any]:
    """The logged questions, only the answered (or declined) ones if asked."""
    query = select(question_log)
    return query if answered is None else query.where(question_log.c.answered == answered)
