"""The privacy team's example questions: "a visitor asking this means that section".

Examples come from two places, merged: the database (added through the support API or
`privacy-qa examples add`; kept here) and a YAML file beside each policy document
(qa/answering/example_files.py). The Assistant indexes them as evidence of their section.
Every add and remove bumps a version counter in the database, which each server process
checks every few seconds (qa/answering/teacher.py) so that all of them use the same examples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from index.library import Library
from index.policy import Policy
from qa.answering.answers import MAX_QUESTION
from qa.errors import NotFound, QAError, UnknownDocument, UnknownSection
from qa.storage.schema import counters, examples, utcnow
from qa.storage.store import Store

MIN_QUESTION = 3
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


def _of(document: str | None) -> Select[Any]:
    """The examples of `document`, or every example."""
    query = select(examples)
    return query if document is None else query.where(examples.c.document == document)
