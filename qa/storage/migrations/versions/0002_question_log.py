"""The opt-in, anonymised question log (PRIVACY_QA_QUESTION_LOG_DAYS).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the question log."""
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("section", sa.String(200)),
        sa.Column("document", sa.String(200)),
    )
    op.create_index("ix_question_log_day", "question_log", ["day"])


def downgrade() -> None:
    """Drop the question log."""
    op.drop_table("question_log")
