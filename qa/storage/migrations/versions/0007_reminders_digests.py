"""The deadline digests sent to privacy@, one row per day (qa/casework/reminders.py).

The day is the primary key, and the row is written in the same transaction as the digest's
mail: a second worker, a restart or a cron run on the same day finds the row and sends
nothing, whatever the timing.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create reminder_digests."""
    op.create_table(
        "reminder_digests",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop reminder_digests."""
    op.drop_table("reminder_digests")
