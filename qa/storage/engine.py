"""The engine: where the database is (SQLite in the data folder unless PRIVACY_QA_DATABASE_URL
names one), its set-up for durability, the schema upgrade, and the two errors a database gives:
StoreError (a setting to fix) and StoreUnavailable (a moment to wait)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from qa.errors import QAError
from qa.settings import Settings

SQLITE_FILE = "privacy-qa.sqlite3"
_MIGRATION_LOCK = 0x70715141  # any constant; serialises start-up upgrades across processes


class StoreError(QAError):
    """The database cannot be opened or upgraded; the message names the setting to fix."""

    code = "store_error"


class StoreUnavailable(QAError):
    """The database cannot be reached now (down, restarting, overloaded); the caller may retry."""

    code = "database_unavailable"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _unreachable(exc: BaseException) -> bool:
    """Whether a database error means "not reachable now" rather than a fault in our SQL."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@contextmanager
def reachable() -> Iterator[None]:
    """Turn "the database cannot be reached" into StoreUnavailable; other errors pass."""
    # A server restart or a lost connection is a moment's unavailability: a 503 with
    # Retry-After, which a client retries (with its Idempotency-Key), not a 500.
    try:
        yield
    except (DBAPIError, PoolTimeout) as exc:
        if not _unreachable(exc):
            raise
        raise StoreUnavailable(
            "the database is not reachable right now; try again in a few seconds (a retry "
            "with the same Idempotency-Key never makes a second request)"
        ) from exc


def database_url(settings: Settings) -> str:
    """The URL from the settings, or a SQLite file in the data folder (created if missing)."""
    if settings.database_url:
        return settings.database_url
    folder = settings.data_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / SQLITE_FILE}"


def make_engine(url: str) -> Engine:
    """An engine set up for durability: SQLite with a rollback journal, fsync on every commit."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # A database host that drops packets must not hold a request forever: libpq waits
    # without end unless told (a connect_timeout in the URL wins over this default).
    connect_args = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": 10}
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
    )


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # The driver's own transaction handling is turned off so that _sqlite_begin decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    # A rollback journal, not WAL: SQLite 3.40 has the WAL-reset corruption bug, and several
    # processes (workers, the CLI) may write at once. PERSIST keeps the journal file and zeroes
    # its header, which saves a file deletion and a directory sync per commit (about 3x here).
    cursor.execute("PRAGMA journal_mode = PERSIST")
    # FULL: a commit is on disk before the caller hears it is made: it survives a power loss.
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # What is deleted or overwritten (an erased name, a sent mail's links) is zeroed in the
    # file, not left in free space for anyone holding a copy.
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the write lock up front (IMMEDIATE): two deferred transactions that both
    # upgrade to writing would deadlock, which busy_timeout cannot resolve. Readers defer.
    if connection.get_execution_options().get("read_only"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade_schema(conn: Connection) -> None:
    """Bring the schema to the newest revision in the caller's transaction; on PostgreSQL a
    lock held to its commit makes processes that start at once upgrade one after another."""
    from alembic import command  # alembic is needed at start-up only
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "qa.storage:migrations")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def data_folder(settings: Settings) -> Path:
    """The data folder, created if missing."""
    folder = settings.data_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
