"""The team's message to the requester (`reply`), sent in the status mail and shown on the
status page; kept apart from the internal notes, encrypted like them when a key is set. And
`mailed_token_hash`: the status token of the latest mail that carried a status link (a status
mail, a resent verification), which opens the status page alongside the first one.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add rights_requests.reply and .mailed_token_hash (null until used)."""
    op.add_column("rights_requests", sa.Column("reply", sa.Text))
    op.add_column("rights_requests", sa.Column("mailed_token_hash", sa.String(64)))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("rights_requests") as batch:
        batch.drop_column("mailed_token_hash")
        batch.drop_column("reply")
