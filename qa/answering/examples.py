"""The privacy team's example questions: "a visitor asking this means that section".

Examples come from two places, merged: the database (added through the support API or
`privacy-qa examples add`) and a YAML file beside each policy document, `<stem>.examples.yaml`,
for teams that keep them in version control. The Assistant indexes them as evidence of their
section. Every add and remove bumps a version counter in the database, which each server
process checks every few seconds (`Teacher`) so that all of them use the same examples.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from index.library import Library
from index.policy import Policy, PolicyError
from qa.answering.assistant import Assistant
from qa.errors import NotFound, QAError, UnknownDocument, UnknownSection
from qa.storage.store import Store, counters, examples, utcnow

log = logging.getLogger(__name__)

FILE_SUFFIX = ".examples.yaml"
MIN_QUESTION = 3
MAX_QUESTION = 500
RELOAD_SECONDS = 5.0
# The row of the counters table that every add and remove increments (year 0: not a series).
_VERSION = {"name": "examples", "year": 0}

# Spaces as JSON Schema's regular expressions (ECMA-262) know them, so that the API's documented
# rule and this check agree on every character; Python's own also count \x1c-\x1f and \x85.
SPACES = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")
CONTROL = re.compile("[\x00-\x1f\x7f]")
_LINE_BREAKS = re.compile("[\t\r\n]")

Key = tuple[str, str]
ExampleMap = dict[Key, list[str]]


@dataclass(frozen=True)
class Example:
    """One example question in the database; `stale` when its section no longer exists."""

    id: int
    document: str
    section_id: str
    question: str
    created_at: datetime
    created_by: str | None
    stale: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "id": self.id,
            "document": self.document,
            "section_id": self.section_id,
            "question": self.question,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "created_by": self.created_by,
            "stale": self.stale,
        }


def clean_question(question: str, where: str = "question") -> str:
    """The question with its spaces collapsed; QAError naming `where` if it is too short or long,
    or holds control characters."""
    text = _LINE_BREAKS.sub(" ", question)  # a file's or a shell's line breaks and tabs
    if CONTROL.search(text):
        raise QAError(
            f"{where}: must be one line of text without control characters; retype it",
            "question",
        )
    text = SPACES.sub(" ", text).strip(" ")
    if len(text.replace(" ", "")) < MIN_QUESTION:
        raise QAError(
            f"{where}: must have at least {MIN_QUESTION} characters other than spaces; write the "
            "question as a visitor would ask it",
            "question",
        )
    if len(question) > MAX_QUESTION:
        raise QAError(
            f"{where}: is {len(question)} characters; keep an example to {MAX_QUESTION} or fewer",
            "question",
        )
    return text


def check_section(library: Library, document: str | None, section_id: str) -> Policy:
    """The document holding `section_id`; UnknownDocument or UnknownSection say where to look."""
    policy = library.default if document is None else library.get(document)
    if policy is None:
        raise UnknownDocument(
            f"document: no document named {document!r}; use one of: "
            f"{', '.join(library.documents)} (GET /api/policy lists them)",
            "document",
        )
    if policy.section(section_id) is None:
        raise UnknownSection(
            f"section_id: {section_id!r} is not a section of {policy.name}; "
            f"GET /api/policy?document={policy.name} (or `privacy-qa index`) lists them",
            "section_id",
        )
    return policy


def merge(*maps: Mapping[Key, Iterable[str]]) -> ExampleMap:
    """The examples of every map, each key's questions in order and without repeats."""
    merged: ExampleMap = {}
    for found in maps:
        for key, questions in found.items():
            into = merged.setdefault(key, [])
            into.extend(q for q in questions if q not in into)
    return {key: questions for key, questions in merged.items() if questions}


# The file beside the policy -------------------------------------------------------------------


def example_file(policy: Policy) -> Path | None:
    """Where a document's example file is: `<stem>.examples.yaml` beside it (None: not a file)."""
    source = Path(policy.source)
    if policy.source.startswith("<"):
        return None
    return source.with_name(source.stem + FILE_SUFFIX)


# One line, as every start-up and command error is.
_SHAPE = (
    "the file maps section ids to lists of questions: a line 'data-retention:' and under it "
    "lines '  - how long do you keep my data?'"
)


def _fail(path: Path, node: yaml.Node | None, problem: str, fix: str = _SHAPE) -> PolicyError:
    line = f", line {node.start_mark.line + 1}" if node is not None else ""
    return PolicyError(f"{path}{line}: {problem}; {fix}")


def read_example_file(path: Path) -> dict[str, list[str]]:
    """A file's examples by section id; PolicyError naming the file, the line and the fix."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror}); check the file") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"{path}: the text is not UTF-8 (bad byte at offset {exc.start}); save it as UTF-8"
        ) from exc
    try:
        # Composed, not loaded: the nodes keep their line numbers for the messages below.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(
            f"{path}{line}: not valid YAML ({exc.problem or exc.context}); {_SHAPE}"
        ) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML ({exc}); {_SHAPE}") from exc
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):
        return {}  # empty, or only comments
    if not isinstance(root, yaml.MappingNode):
        kind = "list" if isinstance(root, yaml.SequenceNode) else "single value"
        raise _fail(path, root, f"is a {kind}, not a mapping of section ids")
    found: dict[str, list[str]] = {}
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode) or not key.value.strip():
            raise _fail(path, key, "a section id must be a plain word such as data-retention")
        section_id = key.value.strip()
        if section_id in found:
            raise _fail(path, key, f"section {section_id!r} appears twice", "merge its lists")
        if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
            found[section_id] = []
            continue
        if not isinstance(value, yaml.SequenceNode):
            raise _fail(path, value, f"{section_id}: needs a list of questions ('- question')")
        questions = []
        for item in value.value:
            if not isinstance(item, yaml.ScalarNode) or item.tag.endswith(":null"):
                raise _fail(path, item, f"{section_id}: each item must be one question")
            try:
                questions.append(clean_question(item.value, f"{section_id}: question"))
            except QAError as exc:
                raise _fail(path, item, exc.message, "fix or remove it") from None
        found[section_id] = list(dict.fromkeys(questions))
    return found


def read_example_files(library: Library) -> ExampleMap:
    """The examples of every document's file that exists, by (document, section id)."""
    found: ExampleMap = {}
    for name, policy in library.documents.items():
        path = example_file(policy)
        if path is not None and path.is_file():
            for section_id, questions in read_example_file(path).items():
                if questions:
                    found[(name, section_id)] = questions
    return found


# The database ---------------------------------------------------------------------------------


class Examples:
    """The example questions in the database, checked against the library they teach."""

    def __init__(self, store: Store, library: Library) -> None:
        self.store = store
        self.library = library

    def _stale(self, document: str, section_id: str) -> bool:
        policy = self.library.get(document)
        return policy is None or policy.section(section_id) is None

    def _example(self, row: Any) -> Example:
        return Example(**row._mapping, stale=self._stale(row.document, row.section_id))

    def _bump(self, conn: Connection) -> None:
        insert = pg_insert if self.store.dialect == "postgresql" else sqlite_insert
        conn.execute(
            insert(counters)
            .values(**_VERSION, value=1)
            .on_conflict_do_update(
                index_elements=["name", "year"], set_={"value": counters.c.value + 1}
            )
        )

    def add(
        self,
        section_id: str,
        question: str,
        document: str | None = None,
        created_by: str | None = None,
    ) -> tuple[Example, bool]:
        """Add an example (document None: the main one); the example and whether it is new.
        The same (document, section, question) again gives the first one back."""
        policy = check_section(self.library, document, section_id)
        text = clean_question(question)
        values = {"document": policy.name, "section_id": section_id, "question": text}
        insert = pg_insert if self.store.dialect == "postgresql" else sqlite_insert
        statement = (
            insert(examples)
            .values(**values, created_at=utcnow(), created_by=created_by)
            .on_conflict_do_nothing(index_elements=["document", "section_id", "question"])
            .returning(examples.c.id)
        )
        with self.store.transaction() as conn:
            # A twin added at the same moment is found, not duplicated: the insert does nothing.
            created = conn.execute(statement).first() is not None
            if created:
                self._bump(conn)
            row = conn.execute(
                select(examples).where(*(examples.c[k] == v for k, v in values.items()))
            ).one()
        return self._example(row), created

    def list(
        self, document: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Example]:
        """Examples in the order they were added, of one document if named."""
        query = _of(document).order_by(examples.c.id).limit(limit).offset(offset)
        with self.store.read() as conn:
            return [self._example(row) for row in conn.execute(query)]

    def count(self, document: str | None = None) -> int:
        """How many examples `list` would give for `document` with no limit."""
        query = select(func.count()).select_from(_of(document).subquery())
        with self.store.read() as conn:
            return int(conn.execute(query).scalar_one())

    def remove(self, example_id: int) -> Example:
        """Remove one example by id; NotFound says where the ids are listed."""
        with self.store.transaction() as conn:
            row = conn.execute(select(examples).where(examples.c.id == example_id)).first()
            if row is None:
                raise NotFound(
                    f"id: no example {example_id}; GET /api/support/examples (or "
                    "`privacy-qa examples list`) lists them",
                    "id",
                )
            conn.execute(delete(examples).where(examples.c.id == example_id))
            self._bump(conn)
        return self._example(row)

    def load(self) -> ExampleMap:
        """Every example in the database, as the Assistant takes them."""
        query = select(examples.c.document, examples.c.section_id, examples.c.question)
        found: ExampleMap = {}
        with self.store.read() as conn:
            for row in conn.execute(query.order_by(examples.c.id)):
                found.setdefault((row.document, row.section_id), []).append(row.question)
        return found

    def version(self) -> int:
        """A number that changes with every add and remove (0 before the first)."""
        query = select(counters.c.value).where(
            counters.c.name == _VERSION["name"], counters.c.year == _VERSION["year"]
        )
        with self.store.read() as conn:
            value = conn.execute(query).scalar()
        return int(value or 0)


# Keeping a server's assistant taught ----------------------------------------------------------


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
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

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

    def start(self) -> None:
        """Check every `interval` seconds on the running event loop (0: never)."""
        if self.interval <= 0:
            return
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop checking."""
        if self._task is not None and self._stop is not None:
            self._stop.set()
            await self._task
            self._task = None

    async def _run(self) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)
            if self._stop.is_set():
                break
            try:
                await asyncio.to_thread(self.refresh)
            except Exception as exc:  # the database may be away a while; answers go on
                log.warning("examples check failed (%s); will retry", type(exc).__name__)


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


def _of(document: str | None) -> Select[Any]:
    """The examples of `document`, or every example."""
    query = select(examples)
    return query if document is None else query.where(examples.c.document == document)
