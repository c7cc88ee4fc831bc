"""'Was this helpful?' counts per section and day, shared by every worker and kept at restart.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the feedback counts."""
    op.create_table(
        "feedback_counts",
        sa.Column("document", sa.String(200), primary_key=True),
        sa.Column("section_id", sa.String(200), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.Column("not_helpful", sa.Integer(), nullable=False),
    )
    op.create_index("ix_feedback_counts_day", "feedback_counts", ["day"])


def downgrade() -> None:
    """Drop the feedback counts."""
    op.drop_table("feedback_counts")
