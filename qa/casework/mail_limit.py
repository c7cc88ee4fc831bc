"""The per-mailbox mail limit (PRIVACY_QA_RATE_LIMITS, verify_mail), counted in the outbox.

A submission or a resend names an address the visitor may not own: requests are always
recorded, but past the limit no mail goes to that mailbox (whatever its spelling), so the form
cannot become a way to flood someone's inbox, or privacy@.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, text

from qa.ratelimits import Limit
from qa.storage.schema import outbox

# The mail a submission sends to the address it names: what the per-mailbox limit counts.
REQUESTER_MAIL = ("verify", "acknowledge")
LIMIT_NOTICE = "mail_limit"
PERIOD_WORDS = {"s": "second", "min": "minute", "h": "hour", "day": "day"}


def may_mail(
    conn: Connection, dialect: str, mailbox: str, now: datetime, limit: Limit | None
) -> bool:
    """Whether a submission may still mail this mailbox in the limit's period, whatever the
    right, the spelling of the address or the client: requests are always recorded, but the
    form must not become a way to flood someone's inbox (or privacy@)."""
    if limit is None or limit.off:
        return True
    if dialect == "postgresql":
        # Two submissions for one mailbox at once must not both see room for one more.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:a))"), {"a": mailbox})
    return mails_since(conn, mailbox, REQUESTER_MAIL, now, limit) < limit.count


def mails_since(
    conn: Connection, mailbox: str, kinds: tuple[str, ...], now: datetime, limit: Limit
) -> int:
    """How many mails of these kinds went to this mailbox in the limit's last period."""
    since = now - timedelta(seconds=limit.period)
    return int(
        conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.mailbox_hash == mailbox,
                outbox.c.kind.in_(kinds),
                outbox.c.created_at > since,
            )
        ).scalar_one()
    )
