"""Per-mailbox mail counts, and which request an idempotent answer belongs to.

`outbox.mailbox_hash` is the SHA-256 of the recipient's normalised mailbox (qa/delivery/message.py,
`normalise_mailbox`) on mail to a requester and on the privacy team's notices about one: it
counts the mail one mailbox got in the limit's window without keeping or decrypting an address.
`idempotency_keys.reference` lets an erasure find and delete the stored answer of a request.

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns and their indexes."""
    op.add_column("outbox", sa.Column("mailbox_hash", sa.String(64)))
    op.create_index("ix_outbox_mailbox_created", "outbox", ["mailbox_hash", "created_at"])
    op.add_column("idempotency_keys", sa.Column("reference", sa.String(20)))
    op.create_index("ix_idempotency_keys_reference", "idempotency_keys", ["reference"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_idempotency_keys_reference", "idempotency_keys")
    op.drop_column("idempotency_keys", "reference")
    op.drop_index("ix_outbox_mailbox_created", "outbox")
    op.drop_column("outbox", "mailbox_hash")
