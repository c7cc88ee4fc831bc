"""The tables: rights requests, escalations, history, outgoing mail, the question log, examples,
feedback counts, digests and idempotency keys (the migrations in qa/storage/migrations/ build
them), and the UTC clock their times are kept in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive in UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC, without a zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes given to the store must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

counters = Table(
    "counters",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)

rights_requests = Table(
    "rights_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(20), nullable=False, unique=True),
    Column("right", String(32), nullable=False),
    Column("jurisdiction", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    # Personal data: encrypted when a key is set, and erased (set to NULL) by purge or erasure.
    Column("name", Text),
    Column("email", Text),
    Column("details", Text),
    Column("question", Text),
    Column("notes", Text),
    Column("email_hash", String(64), index=True),
    Column("status_token_hash", String(64), nullable=False),
    # The status token of the latest mail with a status link (status mails, a resent
    # verification): the token itself is never stored, so each such mail gets a new one, and
    # the first link (the form's page, the first mail) keeps working beside it.
    Column("mailed_token_hash", String(64)),
    Column("verify_token_hash", String(64), unique=True),
    Column("verify_expires_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("erased_at", UTCDateTime),
    Column("confirm_by", Date),
    Column("due_at", Date, nullable=False),
    Column("original_due_at", Date, nullable=False),
    Column("extended_at", UTCDateTime),
    Column("extension_reason", Text),
    Column("reason", Text),
    # The team's latest message to the requester (mailed with a status change); personal, as
    # the notes are, but the notes never leave the team.
    Column("reply", Text),
    # What the visitor was told (qa/casework/shown.py): the policy's version and the sections shown.
    Column("policy_document", String(200)),
    Column("policy_version", String(64)),
    Column("policy_updated", String(100)),
    Column("sections", Text),  # a JSON list of section ids
    Index("ix_rights_requests_status_due", "status", "due_at"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(20), nullable=False, unique=True),
    Column("question", Text),
    Column("transcript", Text),
    Column("email", Text),
    Column("email_hash", String(64), index=True),
    Column("consent", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("erased_at", UTCDateTime),
    # The case (qa/casework/escalations.py): open, answered or closed; who has it; the team's words.
    Column("status", String(16), nullable=False, server_default="open"),
    Column("assignee", String(64)),
    Column("notes", Text),  # internal; personal data like a request's notes
    Column("replies", Text),  # a JSON list of the replies sent to the visitor
    Column("status_token_hash", String(64)),  # none for escalations made before 0007
    Column("updated_at", UTCDateTime),
    Column("policy_document", String(200)),
    Column("policy_version", String(64)),
    Column("policy_updated", String(100)),
    Column("sections", Text),
)

# Who changed what, and when: one row per change to a request or an escalation, written in the
# change's transaction and never updated or deleted (an erasure leaves it: qa/casework/history.py
# keeps
# names of keys, statuses and flags here, nothing of the person).
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # rights_request or escalation
    Column("reference", String(20), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("details", Text, nullable=False),  # JSON of qa.casework.history.Details
    Index("ix_history_reference", "kind", "reference", "id"),
    sqlite_autoincrement=True,
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("reference", String(20), nullable=False, index=True),
    Column("recipient", Text),
    Column("raw", Text),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(32)),
    Column("lease_until", UTCDateTime),
    Column("last_error", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # Mail to a requester, and the team's notice about one: the hash of the normalised mailbox,
    # which counts that mailbox's mail for the limit (qa/casework/mail_limit.py) without an address.
    Column("mailbox_hash", String(64)),
    # mail, or webhook (one event for one endpoint; qa/delivery/webhooks.py): each has its own
    # sender.
    Column("channel", String(16), nullable=False, server_default="mail"),
    Index("ix_outbox_status_next", "status", "next_attempt_at"),
    Index("ix_outbox_mailbox_created", "mailbox_hash", "created_at"),
    Index("ix_outbox_channel_status_next", "channel", "status", "next_attempt_at"),
)

# Off unless PRIVACY_QA_QUESTION_LOG_DAYS is set: redacted questions (qa/answering/questions.py),
# the day
# only, and no client address or id, so a row cannot be tied to a visitor.
question_log = Table(
    "question_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(500), nullable=False),
    Column("day", Date, nullable=False, index=True),
    Column("answered", Boolean, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("section", String(200)),
    Column("document", String(200)),
    Column("kind", String(16)),  # the answer's kind (silent, not_covered, ...); null before 0005
)

# The privacy team's example questions: each says "a visitor asking this means that section".
# Written by the team, not by visitors, so nothing here is personal data.
examples = Table(
    "examples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document", String(200), nullable=False),
    Column("section_id", String(200), nullable=False),
    Column("question", String(500), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200)),
    UniqueConstraint("document", "section_id", "question", name="uq_examples_question"),
    # SQLite would hand a removed example's id to the next one added; ids are what people type.
    sqlite_autoincrement=True,
)

# "Was this helpful?" as counts per section and day: no question, visitor or time of day.
feedback_counts = Table(
    "feedback_counts",
    metadata,
    Column("document", String(200), primary_key=True),
    Column("section_id", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("helpful", Integer, nullable=False),
    Column("not_helpful", Integer, nullable=False),
    Index("ix_feedback_counts_day", "day"),
)

# One row per day a deadline digest went to privacy@ (qa/casework/reminders.py): the day is the
# key, so
# no second digest is queued that day, by another worker or after a restart.
reminder_digests = Table(
    "reminder_digests",
    metadata,
    Column("day", Date, primary_key=True),
    Column("message_id", String(255), nullable=False),
    Column("items", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("body_hash", String(64), nullable=False),
    # Unused since the desk stores its own replayable result (Created.record): every row gets
    # NO_STATUS (qa/storage/idempotency.py). Kept rather than dropped so that no migration is
    # needed for it.
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The request the answer belongs to, so that erasing the request deletes it too.
    Column("reference", String(20), index=True),
)


def utcnow() -> datetime:
    """Now, in UTC (the store's one clock)."""
    return datetime.now(UTC)
