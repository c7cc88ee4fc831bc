"""The store: schema in step with the migrations, durable SQLite, encryption at rest, retention."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet

from qa.answering.assistant import Assistant
from qa.casework.escalations import Escalations
from qa.casework.retention import purge
from qa.casework.rights import Intake, RightsRequests
from qa.delivery.outbox import Outbox
from qa.delivery.transports import FileTransport
from qa.errors import NotFound
from qa.settings import Settings
from qa.storage.cipher import Cipher, token_hash
from qa.storage.engine import StoreError, make_engine
from qa.storage.idempotency import body_hash, recall, remember
from qa.storage.schema import idempotency_keys, metadata, rights_requests, utcnow
from qa.storage.store import Store, open_store


def _desk(store: Store, tmp_path: Path) -> RightsRequests:
    box = Outbox(store, FileTransport(tmp_path / "mail"), "assistant@example.com")
    return RightsRequests(
        store, box, public_url="http://testserver", privacy_email="privacy@example.com"
    )


def test_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    store = Store(make_engine(database_url))
    try:
        store.upgrade()
        store.upgrade()  # a second upgrade is a no-op
        with store.read() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        store.close()


def test_several_processes_may_upgrade_at_once(database_url: str) -> None:
    stores = [Store(make_engine(database_url)) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda s: s.upgrade(), stores))
        with stores[0].read() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    finally:
        for store in stores:
            store.close()


def test_sqlite_is_durable_and_avoids_wal(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path))
    try:
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "persist"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
        assert (tmp_path / "privacy-qa.sqlite3").exists()
    finally:
        store.close()


def test_personal_data_is_encrypted_at_rest_with_a_key(database_url: str, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    store = Store(make_engine(database_url), Cipher((key,)))
    try:
        store.upgrade()
        desk = _desk(store, tmp_path)
        created = desk.submit(
            Intake("access", "gdpr", "Ana Lima", "ana@example.com", "secret details")
        )
        with store.read() as conn:
            row = conn.execute(sa.select(rights_requests)).one()
            raw = conn.exec_driver_sql("SELECT raw FROM outbox").scalars().all()
        assert "ana@example.com" not in str(tuple(row)) and "Ana Lima" not in str(tuple(row))
        assert all("ana@example.com" not in r for r in raw)
        request = desk.get(created.reference)
        assert (request.email, request.details) == ("ana@example.com", "secret details")
        other = Store(store.engine, Cipher((Fernet.generate_key().decode(),)))
        with pytest.raises(StoreError, match="PRIVACY_QA_ENCRYPTION_KEY"):
            _desk(other, tmp_path).get(created.reference)
        rotated = Store(store.engine, Cipher((Fernet.generate_key().decode(), key)))
        assert _desk(rotated, tmp_path).get(created.reference).email == "ana@example.com"
    finally:
        store.close()


def test_purge_erases_closed_requests_past_retention_only(
    database_url: str, tmp_path: Path
) -> None:
    store = Store(make_engine(database_url))
    try:
        store.upgrade()
        desk = _desk(store, tmp_path)
        long_ago = utcnow() - timedelta(days=400)
        old = desk.submit(Intake("opt_out", "ccpa", "Old", "old@example.com"), now=long_ago)
        desk.update(old.reference, status="completed", now=long_ago + timedelta(days=1))
        recent = desk.submit(Intake("opt_out", "ccpa", "New", "new@example.com"))
        desk.update(recent.reference, status="completed")
        still_open = desk.submit(Intake("access", "gdpr", "Open", "open@example.com"), now=long_ago)
        erased = purge(store, retention_days=365)
        assert erased.rights_requests == 1
        assert desk.get(old.reference).email is None
        assert desk.get(old.reference).status == "completed"
        assert desk.get(recent.reference).email == "new@example.com"
        assert desk.get(still_open.reference).email == "open@example.com"
    finally:
        store.close()


def test_a_database_that_cannot_be_opened_names_the_setting(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="PRIVACY_QA_DATABASE_URL"):
        open_store(settings)


def test_an_answer_stored_before_the_sealed_format_still_replays(database_url: str) -> None:
    store = Store(make_engine(database_url))
    try:
        config = Config()
        config.set_main_option("script_location", "qa.storage:migrations")
        with store.transaction() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
            conn.execute(
                idempotency_keys.insert().values(
                    scope="s",
                    key=token_hash("old-key"),
                    body_hash=body_hash({"a": 1}),
                    status_code=201,
                    response='{"reference": "RR-2026-000001"}',
                    created_at=utcnow(),
                )
            )
        store.upgrade()  # 0006 (mailbox_hash) on top of a database in use
        with store.transaction() as conn:
            assert recall(store, conn, "s", "old-key", body_hash({"a": 1})) == {
                "reference": "RR-2026-000001"
            }
            remember(store, conn, "s", "new-key", body_hash({"a": 2}), {"reference": "RR-X"})
            [sealed] = conn.execute(
                sa.select(idempotency_keys.c.response, idempotency_keys.c.reference).where(
                    idempotency_keys.c.key == token_hash("new-key")
                )
            ).all()
            assert "RR-X" not in sealed.response and sealed.reference == "RR-X"
            assert recall(store, conn, "s", "new-key", body_hash({"a": 2})) == {"reference": "RR-X"}
    finally:
        store.close()


def test_escalations_made_before_cases_become_open_cases_without_a_status_page(
    database_url: str, tmp_path: Path, assistant: Assistant
) -> None:
    store = Store(make_engine(database_url))
    try:
        config = Config()
        config.set_main_option("script_location", "qa.storage:migrations")
        with store.transaction() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0006")
            conn.exec_driver_sql(  # the columns of 0006, before escalations were cases
                "INSERT INTO escalations (reference, question, consent, created_at) "
                "VALUES ('ESC-2025-000001', 'Old question?', false, '2025-06-01 10:00:00')"
            )
        store.upgrade()  # 0010 (the cases) on top of a database in use
        box = Outbox(store, FileTransport(tmp_path / "mail"), "assistant@example.com")
        desk = Escalations(
            store, box, assistant, public_url="http://testserver", privacy_email="p@example.com"
        )
        old = desk.get("ESC-2025-000001")
        assert (old.status, old.assignee, old.replies, old.shown.sections) == ("open", None, (), ())
        with pytest.raises(NotFound):
            desk.status("ESC-2025-000001", "any-token")  # no token was ever given for it
        answered, mailed = desk.reply("ESC-2025-000001", "Thanks for asking.", actor="alice")
        assert answered.status == "answered" and not mailed
        assert [c.action for c in desk.history("ESC-2025-000001")] == ["replied"]
    finally:
        store.close()
