"""The paths of the pages a requester or a visitor opens: one shape for the mails and for web/.

The mails link these pages on PRIVACY_QA_PUBLIC_URL (mail is the domain's job); web/ answers
a submission with the same paths on the same URL. The JSON twins of the status pages are the
API's, and web/ alone builds them.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit


def _token(token: str) -> str:
    # Our tokens are URL-safe already; a token a visitor typed is quoted so it stays one value.
    return quote(token, safe="")


def request_status_path(reference: str, token: str) -> str:
    """A rights request's status page, for the holder of its status token."""
    return f"/rights-requests/{reference}?token={_token(token)}"


def verify_path(token: str) -> str:
    """The page a verification link opens."""
    return f"/rights-requests/verify?token={_token(token)}"


def escalation_status_path(reference: str, token: str) -> str:
    """An escalation's status page, with the team's replies."""
    return f"/escalations/{reference}?token={_token(token)}"


def public_link(public_url: str, path: str) -> str:
    """`path` on PRIVACY_QA_PUBLIC_URL."""
    return public_url.rstrip("/") + path


def token_in(url: str) -> str:
    """The token of a status link made by an earlier version, which stored the link itself in
    an idempotent answer (replays within IDEMPOTENCY_WINDOW of an upgrade read it back)."""
    return dict(parse_qsl(urlsplit(url).query)).get("token", "")
