"""Anti-forgery for the visitor forms, with no cookie: an HMAC token and the browser's own headers.

A token proves the form was served by us, for this purpose, recently; it is signed with a server
secret, so no session or cookie is needed. A token alone could be fetched by another site's
server, so a browser's POST must also come from our own pages: `Sec-Fetch-Site` (or, from older
browsers, `Origin`) says where a form was sent from, and another site cannot forge either.

Why not itsdangerous's TimestampSigner, which signs and times a value as well: a token here is
bound to its purpose (the form it was served with) and checked with one constant-time compare of
bytes, in 100 lines with no dependency; the signer would add a dependency for the same HMAC and
leave the purpose and the header checks to us anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

MAX_AGE_SECONDS = 4 * 60 * 60
_TRUSTED_FETCH_SITES = ("same-origin", "none")
# Ours are about 60 characters: seconds since 1970 (ASCII digits), a nonce and a MAC.
MAX_TOKEN_LENGTH = 200
_ISSUED = re.compile(r"[0-9]{1,12}")


class FormRefused(Exception):
    """A form submission that is not shown to come from our own page; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FormTokens:
    """Issues and checks signed form tokens: `issued.nonce.mac`, valid for `max_age` seconds."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        max_age: int = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = hashlib.sha256(
            b"privacy-qa form token\0" + (secret.encode() if isinstance(secret, str) else secret)
        ).digest()
        self.max_age = max_age
        self.clock = clock

    def _mac(self, purpose: str, issued: str, nonce: str) -> str:
        message = f"{purpose}|{issued}|{nonce}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, purpose: str) -> str:
        """A new token for a form of `purpose` (e.g. "rights-request")."""
        issued = str(int(self.clock()))
        nonce = _b64(secrets.token_bytes(16))
        return f"{issued}.{nonce}.{self._mac(purpose, issued, nonce)}"

    def check(self, token: str | None, purpose: str) -> str:
        """The token's nonce if it is ours, for `purpose` and fresh; else FormRefused."""
        parts = (token or "")[:MAX_TOKEN_LENGTH].split(".")
        if len(parts) != 3 or not _ISSUED.fullmatch(parts[0]):
            raise FormRefused(
                "this form has no valid security token; reload the page and send it again"
            )
        issued, nonce, mac = parts
        # Bytes: compare_digest raises on a str that is not ASCII, and a form can hold any text.
        expected = self._mac(purpose, issued, nonce).encode()
        if not hmac.compare_digest(mac.encode("utf-8", "replace"), expected):
            raise FormRefused(
                "this form's security token is not valid; reload the page and send it again"
            )
        age = self.clock() - int(issued)
        if age > self.max_age or age < -60:
            raise FormRefused("this form was open too long; reload the page and send it again")
        return nonce


def check_same_origin(headers: Mapping[str, str], own_origins: tuple[str, ...]) -> None:
    """Refuse a POST that a browser says came from another site (FormRefused)."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site not in _TRUSTED_FETCH_SITES:
            raise FormRefused("this form was sent from another site; use the form on our own page")
        return
    origin = headers.get("origin")
    if origin is not None and origin.lower() not in own_origins:
        raise FormRefused("this form was sent from another site; use the form on our own page")


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-case."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
