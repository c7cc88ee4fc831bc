"""The store: rights requests, escalations and outgoing mail, in SQLite or PostgreSQL.

Where the parts are: the tables in qa/storage/schema.py, the engine and its errors in
qa/storage/engine.py, sealing and hashing in qa/storage/cipher.py, Idempotency-Keys in
qa/storage/idempotency.py. Here: the Store (its transactions and reads) and open_store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qa.errors import QAError
from qa.settings import Settings
from qa.storage.cipher import Cipher
from qa.storage.engine import (
    StoreError,
    StoreUnavailable,
    database_url,
    make_engine,
    reachable,
    upgrade_schema,
)
from qa.storage.schema import counters

log = logging.getLogger(__name__)


class Store:
    """A database of requests, escalations and mail, with the cipher for personal data."""

    def __init__(self, engine: Engine, cipher: Cipher | None = None) -> None:
        self.engine = engine
        self.cipher = cipher or Cipher()
        self._write_lock = threading.Lock()
        # The after-commit calls of each open transaction (see after_commit), by its connection.
        self._after_commit: dict[Connection, list[Callable[[], None]]] = {}

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, scrub: bool = False) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises; then,
        once committed, the calls `after_commit` registered for it are made.
        `scrub` (for erasure): on SQLite, leave no copy of the old pages in the journal."""
        hooks: list[Callable[[], None]] = []
        with self._transaction(scrub) as conn:
            self._after_commit[conn] = hooks
            try:
                yield conn
            finally:
                del self._after_commit[conn]
        # Committed: a raise above (in the block or at the commit) skips them.
        for hook in hooks:
            try:
                hook()
            except Exception as exc:  # what is committed stands; a hook only hurries things
                log.warning("store: an after-commit call failed (%s)", type(exc).__name__)

    def after_commit(self, conn: Connection, hook: Callable[[], None]) -> None:
        """Call `hook` once after the transaction of `conn` commits (once however often it is
        registered; never if it rolls back). A connection not from `transaction` has no such
        moment: the hook is not called (the outbox's sender finds the mail on its next poll)."""
        hooks = self._after_commit.get(conn)
        if hooks is not None and hook not in hooks:
            hooks.append(hook)

    @contextmanager
    def _transaction(self, scrub: bool) -> Iterator[Connection]:
        if self.dialect != "sqlite":
            with reachable(), self.engine.begin() as conn:
                yield conn
            return
        # SQLite has one writer at a time: this process's writers queue on a lock instead of
        # polling the file lock (whose busy handler sleeps in steps of up to 100 ms).
        with reachable(), self._write_lock, self.engine.connect() as conn:
            # The PERSIST journal keeps the pages a transaction changed, as they were before it,
            # until another transaction overwrites them: after an erasure, the erased data. A
            # size limit of 0 truncates the journal at this commit (this connection only).
            driver = conn.connection.driver_connection if scrub else None
            if driver is not None:
                driver.execute("PRAGMA journal_size_limit = 0")
            try:
                with conn.begin():
                    yield conn
            finally:
                if driver is not None:
                    driver.execute("PRAGMA journal_size_limit = -1")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection (on SQLite a deferred transaction, which takes no write lock)."""
        with reachable(), self.engine.connect() as conn:
            yield conn.execution_options(read_only=True)

    def ping(self) -> None:
        """Reach the database once; StoreUnavailable if it cannot be reached."""
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def upgrade(self) -> None:
        """Bring the schema to the newest revision; safe when several processes start at once."""
        with self.transaction() as conn:
            upgrade_schema(conn)

    def next_reference(self, conn: Connection, prefix: str, when: datetime) -> str:
        """The next reference of a series, e.g. RR-2026-000001; unique under any concurrency."""
        values = {"name": prefix, "year": when.year, "value": 1}
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        statement = (
            insert(counters)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["name", "year"], set_={"value": counters.c.value + 1}
            )
            .returning(counters.c.value)
        )
        # The row lock taken here is held to commit, so two writers never get the same number.
        number = conn.execute(statement).scalar_one()
        return f"{prefix}-{when.year}-{number:06d}"

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_store(settings: Settings, *, upgrade: bool = True) -> Store:
    """The store the settings name, its schema brought up to date unless `upgrade` is False."""
    url = database_url(settings)
    try:
        store = Store(make_engine(url), Cipher(settings.encryption_key))
        if upgrade:
            store.upgrade()
    except StoreUnavailable as exc:
        # At start-up an unreachable database is a setting to check, not a moment to wait.
        raise StoreError(
            f"cannot open the database ({type(exc.__cause__).__name__}); check "
            "PRIVACY_QA_DATABASE_URL or PRIVACY_QA_DATA_DIR"
        ) from exc
    except QAError:
        raise
    except Exception as exc:
        raise StoreError(
            f"cannot open the database ({type(exc).__name__}); check PRIVACY_QA_DATABASE_URL "
            "or PRIVACY_QA_DATA_DIR"
        ) from exc
    return store
