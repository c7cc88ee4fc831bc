"""The kind of answer a logged question got (silent, not_covered, off_topic, ...), for the
gap report.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add question_log.kind (null for the rows logged before)."""
    op.add_column("question_log", sa.Column("kind", sa.String(16)))


def downgrade() -> None:
    """Drop question_log.kind."""
    with op.batch_alter_table("question_log") as batch:
        batch.drop_column("kind")
