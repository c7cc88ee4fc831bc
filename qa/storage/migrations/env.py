"""Alembic environment: run on the connection (and transaction) the store hands over."""

from __future__ import annotations

from alembic import context

from qa.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
