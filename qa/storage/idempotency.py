"""Idempotency-Keys: a retried request gets the answer its first run made, never a second record.

The answer is stored sealed with a key only the client's Idempotency-Key gives (the store keeps
that key's SHA-256, never the key), then with the store's cipher like any personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from qa.errors import IdempotencyMismatch
from qa.storage.cipher import token_hash
from qa.storage.engine import StoreError
from qa.storage.schema import idempotency_keys, utcnow
from qa.storage.store import Store

_KEYED = "keyed:"  # an idempotent answer sealed with its Idempotency-Key (_response_cipher)
NO_STATUS = 0  # idempotency_keys.status_code: what every row now holds


def _response_cipher(key: str) -> Fernet:
    # An idempotent answer holds the request's status token: it is sealed with a key only the
    # client's Idempotency-Key gives (the store keeps that key's SHA-256, never the key), so a
    # replay opens it and a copy of the database does not.
    digest = hmac.new(b"privacy-qa:idempotent-response", key.encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def recall(
    store: Store, conn: Connection, scope: str, key: str, body_hash: str
) -> dict[str, Any] | None:
    """The result stored for an Idempotency-Key, or None; another body is refused."""
    row = conn.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.scope == scope, idempotency_keys.c.key == token_hash(key)
        )
    ).first()
    if row is None:
        return None
    if row.body_hash != body_hash:
        raise IdempotencyMismatch(
            "Idempotency-Key: was used before with a different body; use a new key for a "
            "new request, or resend the same body to get the first answer",
            "Idempotency-Key",
        )
    stored = store.cipher.open(row.response) or "{}"
    if stored.startswith(_KEYED):
        try:
            stored = _response_cipher(key).decrypt(stored.removeprefix(_KEYED)).decode()
        except InvalidToken as exc:  # the key's hash matched, so this is not a wrong key
            raise StoreError("a stored idempotent answer is damaged") from exc
    result: dict[str, Any] = orjson.loads(stored)
    return result


def remember(
    store: Store,
    conn: Connection,
    scope: str,
    key: str,
    body_hash: str,
    result: dict[str, Any],
) -> None:
    """Keep a result for its Idempotency-Key (a concurrent twin raises IntegrityError)."""
    conn.execute(
        idempotency_keys.insert().values(
            scope=scope,
            # The client's string is not kept (it could be anything, a name even); its hash
            # finds the retry as well.
            key=token_hash(key),
            body_hash=body_hash,
            status_code=NO_STATUS,
            response=store.cipher.seal(
                _KEYED + _response_cipher(key).encrypt(orjson.dumps(result)).decode()
            ),
            created_at=utcnow(),
            reference=result.get("reference"),
        )
    )


def body_hash(body: dict[str, Any]) -> str:
    """A stable hash of a request body, to tell a retry from a different request."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def run_idempotent(
    store: Store,
    scope: str,
    key: str | None,
    body: dict[str, Any],
    create: Callable[[Connection], dict[str, Any]],
) -> dict[str, Any]:
    """Run `create(conn)` once per Idempotency-Key: a retry with the same body gets the result
    the first run made (a JSON-ready dict naming its `reference`, which erasure deletes by)."""
    digest = body_hash(body)
    for attempt in range(2):
        try:
            with store.transaction() as conn:
                if key is not None:
                    prior = recall(store, conn, scope, key, digest)
                    if prior is not None:
                        return prior
                result = create(conn)
                if key is not None:
                    remember(store, conn, scope, key, digest, result)
                return result
        except IntegrityError:
            # A concurrent request with the same key committed first; the retry replays it.
            if key is None or attempt:
                raise
    raise AssertionError("unreachable")
