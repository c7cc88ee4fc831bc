"""The store: rights requests, escalations and outgoing mail, in SQLite or PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    make_url,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.types import TypeDecorator

from qa.addresses import normalise_mailbox
from qa.errors import IdempotencyMismatch, QAError
from qa.settings import Settings

log = logging.getLogger(__name__)

SQLITE_FILE = "privacy-qa.sqlite3"
_ENCRYPTED = "fernet:"
_KEYED = "keyed:"  # an idempotent answer sealed with its Idempotency-Key (_response_cipher)
_NO_STATUS = 0  # idempotency_keys.status_code: what every row now holds
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
def _reachable() -> Iterator[None]:
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


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive in UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC, without a zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes given to the store must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

counters = Table(
    "counters",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)

rights_requests = Table(
    "rights_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(20), nullable=False, unique=True),
    Column("right", String(32), nullable=False),
    Column("jurisdiction", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    # Personal data: encrypted when a key is set, and erased (set to NULL) by purge or erasure.
    Column("name", Text),
    Column("email", Text),
    Column("details", Text),
    Column("question", Text),
    Column("notes", Text),
    Column("email_hash", String(64), index=True),
    Column("status_token_hash", String(64), nullable=False),
    # The status token of the latest mail with a status link (status mails, a resent
    # verification): the token itself is never stored, so each such mail gets a new one, and
    # the first link (the form's page, the first mail) keeps working beside it.
    Column("mailed_token_hash", String(64)),
    Column("verify_token_hash", String(64), unique=True),
    Column("verify_expires_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("erased_at", UTCDateTime),
    Column("confirm_by", Date),
    Column("due_at", Date, nullable=False),
    Column("original_due_at", Date, nullable=False),
    Column("extended_at", UTCDateTime),
    Column("extension_reason", Text),
    Column("reason", Text),
    # The team's latest message to the requester (mailed with a status change); personal, as
    # the notes are, but the notes never leave the team.
    Column("reply", Text),
    # What the visitor was told (qa/casework/shown.py): the policy's version and the sections shown.
    Column("policy_document", String(200)),
    Column("policy_version", String(64)),
    Column("policy_updated", String(100)),
    Column("sections", Text),  # a JSON list of section ids
    Index("ix_rights_requests_status_due", "status", "due_at"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(20), nullable=False, unique=True),
    Column("question", Text),
    Column("transcript", Text),
    Column("email", Text),
    Column("email_hash", String(64), index=True),
    Column("consent", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("erased_at", UTCDateTime),
    # The case (qa/casework/escalations.py): open, answered or closed; who has it; the team's words.
    Column("status", String(16), nullable=False, server_default="open"),
    Column("assignee", String(64)),
    Column("notes", Text),  # internal; personal data like a request's notes
    Column("replies", Text),  # a JSON list of the replies sent to the visitor
    Column("status_token_hash", String(64)),  # none for escalations made before 0007
    Column("updated_at", UTCDateTime),
    Column("policy_document", String(200)),
    Column("policy_version", String(64)),
    Column("policy_updated", String(100)),
    Column("sections", Text),
)

# Who changed what, and when: one row per change to a request or an escalation, written in the
# change's transaction and never updated or deleted (an erasure leaves it: qa/casework/history.py
# keeps
# names of keys, statuses and flags here, nothing of the person).
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # rights_request or escalation
    Column("reference", String(20), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("details", Text, nullable=False),  # JSON of qa.casework.history.Details
    Index("ix_history_reference", "kind", "reference", "id"),
    sqlite_autoincrement=True,
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("reference", String(20), nullable=False, index=True),
    Column("recipient", Text),
    Column("raw", Text),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(32)),
    Column("lease_until", UTCDateTime),
    Column("last_error", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # Mail to a requester, and the team's notice about one: the hash of the normalised mailbox,
    # which counts that mailbox's mail for the limit (qa/casework/mail_limit.py) without an address.
    Column("mailbox_hash", String(64)),
    # mail, or webhook (one event for one endpoint; qa/delivery/webhooks.py): each has its own
    # sender.
    Column("channel", String(16), nullable=False, server_default="mail"),
    Index("ix_outbox_status_next", "status", "next_attempt_at"),
    Index("ix_outbox_mailbox_created", "mailbox_hash", "created_at"),
    Index("ix_outbox_channel_status_next", "channel", "status", "next_attempt_at"),
)

# Off unless PRIVACY_QA_QUESTION_LOG_DAYS is set: redacted questions (qa/answering/questions.py),
# the day
# only, and no client address or id, so a row cannot be tied to a visitor.
question_log = Table(
    "question_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(500), nullable=False),
    Column("day", Date, nullable=False, index=True),
    Column("answered", Boolean, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("section", String(200)),
    Column("document", String(200)),
    Column("kind", String(16)),  # the answer's kind (silent, not_covered, ...); null before 0005
)

# The privacy team's example questions: each says "a visitor asking this means that section".
# Written by the team, not by visitors, so nothing here is personal data.
examples = Table(
    "examples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document", String(200), nullable=False),
    Column("section_id", String(200), nullable=False),
    Column("question", String(500), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200)),
    UniqueConstraint("document", "section_id", "question", name="uq_examples_question"),
    # SQLite would hand a removed example's id to the next one added; ids are what people type.
    sqlite_autoincrement=True,
)

# "Was this helpful?" as counts per section and day: no question, visitor or time of day.
feedback_counts = Table(
    "feedback_counts",
    metadata,
    Column("document", String(200), primary_key=True),
    Column("section_id", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("helpful", Integer, nullable=False),
    Column("not_helpful", Integer, nullable=False),
    Index("ix_feedback_counts_day", "day"),
)

# One row per day a deadline digest went to privacy@ (qa/casework/reminders.py): the day is the
# key, so
# no second digest is queued that day, by another worker or after a restart.
reminder_digests = Table(
    "reminder_digests",
    metadata,
    Column("day", Date, primary_key=True),
    Column("message_id", String(255), nullable=False),
    Column("items", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("body_hash", String(64), nullable=False),
    # Unused since the desk stores its own replayable result (Created.record): every row gets
    # _NO_STATUS. Kept rather than dropped so that no migration is needed for it.
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The request the answer belongs to, so that erasing the request deletes it too.
    Column("reference", String(20), index=True),
)


def utcnow() -> datetime:
    """Now, in UTC (the store's one clock)."""
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    """What the store keeps of a secret token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def mailbox_hash(email: str) -> str:
    """The key that counts mail to one mailbox, whatever spelling of it a request uses."""
    return hashlib.sha256(b"privacy-qa:mailbox:" + normalise_mailbox(email).encode()).hexdigest()


def _response_cipher(key: str) -> Fernet:
    # An idempotent answer holds the request's status token: it is sealed with a key only the
    # client's Idempotency-Key gives (the store keeps that key's SHA-256, never the key), so a
    # replay opens it and a copy of the database does not.
    digest = hmac.new(b"privacy-qa:idempotent-response", key.encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def email_hash(email: str) -> str:
    """A lookup key for one requester's records (for erasure), the same whatever the encryption."""
    return hashlib.sha256(b"privacy-qa:" + email.strip().casefold().encode()).hexdigest()


class Cipher:
    """Encrypts personal data at rest with Fernet when keys are set; otherwise stores it as is."""

    def __init__(self, keys: tuple[str, ...] = ()) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys]) if keys else None

    @property
    def enabled(self) -> bool:
        """Whether values are encrypted."""
        return self._fernet is not None

    def seal(self, value: str | None) -> str | None:
        """The value to store."""
        if value is None or self._fernet is None:
            return value
        return _ENCRYPTED + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        """The stored value, decrypted; rows written before a key was set read as they are."""
        if value is None or not value.startswith(_ENCRYPTED):
            return value
        if self._fernet is None:
            raise StoreError(
                "the store holds encrypted data but PRIVACY_QA_ENCRYPTION_KEY is not set; set it"
            )
        try:
            return self._fernet.decrypt(value.removeprefix(_ENCRYPTED).encode()).decode()
        except InvalidToken as exc:
            raise StoreError(
                "encrypted data does not open with PRIVACY_QA_ENCRYPTION_KEY; keep the old key "
                "in the list (newest first) when rotating"
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


class Store:
    """A database of requests, escalations and mail, with the cipher for personal data."""

    def __init__(self, engine: Engine, cipher: Cipher | None = None) -> None:
        self.engine = engine
        self.cipher = cipher or Cipher()
        self._write_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, scrub: bool = False) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises.
        `scrub` (for erasure): on SQLite, leave no copy of the old pages in the journal."""
        if self.dialect != "sqlite":
            with _reachable(), self.engine.begin() as conn:
                yield conn
            return
        # SQLite has one writer at a time: this process's writers queue on a lock instead of
        # polling the file lock (whose busy handler sleeps in steps of up to 100 ms).
        with _reachable(), self._write_lock, self.engine.connect() as conn:
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
        with _reachable(), self.engine.connect() as conn:
            yield conn.execution_options(read_only=True)

    def ping(self) -> None:
        """Reach the database once; StoreUnavailable if it cannot be reached."""
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def upgrade(self) -> None:
        """Bring the schema to the newest revision; safe when several processes start at once."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "qa.storage:migrations")
        with self.transaction() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

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

    def recall(
        self, conn: Connection, scope: str, key: str, body_hash: str
    ) -> dict[str, Any] | None:
        """The result stored for an Idempotency-Key, or None; another body is refused."""
        row = conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == token_hash(key)
            )
        ).first()
        if row is None:
            return None
        if row.body_hash != body_hash:
            raise IdempotencyMismatch(
                "Idempotency-Key: was used before with a different body; use a new key for a "
                "new request, or resend the same body to get the first answer",
                "Idempotency-Key",
            )
        stored = self.cipher.open(row.response) or "{}"
        if stored.startswith(_KEYED):
            try:
                stored = _response_cipher(key).decrypt(stored.removeprefix(_KEYED)).decode()
            except InvalidToken as exc:  # the key's hash matched, so this is not a wrong key
                raise StoreError("a stored idempotent answer is damaged") from exc
        result: dict[str, Any] = orjson.loads(stored)
        return result

    def remember(
        self,
        conn: Connection,
        scope: str,
        key: str,
        body_hash: str,
        result: dict[str, Any],
    ) -> None:
        """Keep a result for its Idempotency-Key (a concurrent twin raises IntegrityError)."""
        conn.execute(
            idempotency_keys.insert().values(
                scope=scope,
                # The client's string is not kept (it could be anything, a name even); its hash
                # finds the retry as well.
                key=token_hash(key),
                body_hash=body_hash,
                status_code=_NO_STATUS,
                response=self.cipher.seal(
                    _KEYED + _response_cipher(key).encrypt(orjson.dumps(result)).decode()
                ),
                created_at=utcnow(),
                reference=result.get("reference"),
            )
        )

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


def body_hash(body: dict[str, Any]) -> str:
    """A stable hash of a request body, to tell a retry from a different request."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def run_idempotent(
    store: Store,
    scope: str,
    key: str | None,
    body: dict[str, Any],
    create: Callable[[Connection], dict[str, Any]],
) -> dict[str, Any]:
    """Run `create(conn)` once per Idempotency-Key: a retry with the same body gets the result
    the first run made (a JSON-ready dict naming its `reference`, which erasure deletes by)."""
    digest = body_hash(body)
    for attempt in range(2):
        try:
            with store.transaction() as conn:
                if key is not None:
                    prior = store.recall(conn, scope, key, digest)
                    if prior is not None:
                        return prior
                result = create(conn)
                if key is not None:
                    store.remember(conn, scope, key, digest, result)
                return result
        except IntegrityError:
            # A concurrent request with the same key committed first; the retry replays it.
            if key is None or attempt:
                raise
    raise AssertionError("unreachable")


def data_folder(settings: Settings) -> Path:
    """The data folder, created if missing."""
    folder = settings.data_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
