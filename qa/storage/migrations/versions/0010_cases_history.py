"""Escalations are cases, what the visitor was told, and the append-only history.

`escalations` gains a status (open, answered, closed; existing rows are open), an assignee,
internal notes, the replies sent to the visitor, a status token's hash (none for older rows,
which have no status page) and when it last changed. Both `escalations` and `rights_requests`
gain the policy's document, version and date and the ids of the sections the visitor was shown
(none for older rows). `history` holds one row per change: who (a support key's name,
requester, system or cli:<user>), what and when, with no personal data.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SHOWN = ("policy_document", "policy_version", "policy_updated", "sections")


def _shown_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("policy_document", sa.String(200)),
        sa.Column("policy_version", sa.String(64)),
        sa.Column("policy_updated", sa.String(100)),
        sa.Column("sections", sa.Text()),
    ]


def upgrade() -> None:
    """Add the columns and the history table."""
    # batch: SQLite drops columns (downgrade) only by copying the table; adding is plain ALTER.
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="open"))
        batch.add_column(sa.Column("assignee", sa.String(64)))
        batch.add_column(sa.Column("notes", sa.Text()))
        batch.add_column(sa.Column("replies", sa.Text()))
        batch.add_column(sa.Column("status_token_hash", sa.String(64)))
        batch.add_column(sa.Column("updated_at", sa.DateTime()))
        for column in _shown_columns():
            batch.add_column(column)
    with op.batch_alter_table("rights_requests") as batch:
        for column in _shown_columns():
            batch.add_column(column)
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_history_reference", "history", ["kind", "reference", "id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_history_reference", "history")
    op.drop_table("history")
    with op.batch_alter_table("rights_requests") as batch:
        for name in SHOWN:
            batch.drop_column(name)
    with op.batch_alter_table("escalations") as batch:
        for name in (*SHOWN, "updated_at", "status_token_hash", "replies", "notes", "assignee"):
            batch.drop_column(name)
        batch.drop_column("status")
