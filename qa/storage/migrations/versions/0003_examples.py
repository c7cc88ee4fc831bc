"""The privacy team's example questions, by document and section.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the examples table."""
    op.create_table(
        "examples",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("document", sa.String(200), nullable=False),
        sa.Column("section_id", sa.String(200), nullable=False),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.UniqueConstraint("document", "section_id", "question", name="uq_examples_question"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    """Drop the examples table."""
    op.drop_table("examples")
