"""Webhook deliveries share the outbox with mail: `outbox.channel` tells them apart.

A row is `mail` (an e-mail, as before) or `webhook` (one event for one endpoint: `recipient`
is the URL, `raw` the JSON body, `message_id` the event's webhook-id and the endpoint). Each
channel has its own sender, so a receiver that hangs never holds up the mail.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column (every existing row is mail) and index the senders' claim by it."""
    op.add_column(
        "outbox", sa.Column("channel", sa.String(16), nullable=False, server_default="mail")
    )
    op.create_index(
        "ix_outbox_channel_status_next", "outbox", ["channel", "status", "next_attempt_at"]
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_outbox_channel_status_next", "outbox")
    op.drop_column("outbox", "channel")
