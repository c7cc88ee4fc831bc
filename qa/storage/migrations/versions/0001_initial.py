"""Rights requests, escalations, the mail outbox, reference counters and idempotency keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "counters",
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("right", sa.String(32), nullable=False),
        sa.Column("jurisdiction", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("email", sa.Text()),
        sa.Column("details", sa.Text()),
        sa.Column("question", sa.Text()),
        sa.Column("notes", sa.Text()),
        sa.Column("email_hash", sa.String(64)),
        sa.Column("status_token_hash", sa.String(64), nullable=False),
        sa.Column("verify_token_hash", sa.String(64), unique=True),
        sa.Column("verify_expires_at", sa.DateTime()),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("erased_at", sa.DateTime()),
        sa.Column("confirm_by", sa.Date()),
        sa.Column("due_at", sa.Date(), nullable=False),
        sa.Column("original_due_at", sa.Date(), nullable=False),
        sa.Column("extended_at", sa.DateTime()),
        sa.Column("extension_reason", sa.Text()),
        sa.Column("reason", sa.Text()),
    )
    op.create_index("ix_rights_requests_email_hash", "rights_requests", ["email_hash"])
    op.create_index("ix_rights_requests_status_due", "rights_requests", ["status", "due_at"])
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("question", sa.Text()),
        sa.Column("transcript", sa.Text()),
        sa.Column("email", sa.Text()),
        sa.Column("email_hash", sa.String(64)),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime()),
    )
    op.create_index("ix_escalations_email_hash", "escalations", ["email_hash"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("recipient", sa.Text()),
        sa.Column("raw", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(32)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("last_error", sa.String(200)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
    )
    op.create_index("ix_outbox_reference", "outbox", ["reference"])
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    for table in ("idempotency_keys", "outbox", "escalations", "rights_requests", "counters"):
        op.drop_table(table)
