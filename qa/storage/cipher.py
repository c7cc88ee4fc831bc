"""What the store keeps of personal data and secrets: values sealed with Fernet when keys are
set (Cipher), and the hashes that find a record without holding what it hashes."""

from __future__ import annotations

import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from qa.addresses import normalise_mailbox
from qa.storage.engine import StoreError

_ENCRYPTED = "fernet:"


def token_hash(token: str) -> str:
    """What the store keeps of a secret token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def mailbox_hash(email: str) -> str:
    """The key that counts mail to one mailbox, whatever spelling of it a request uses."""
    return hashlib.sha256(b"privacy-qa:mailbox:" + normalise_mailbox(email).encode()).hexdigest()


def email_hash(email: str) -> str:
    """A lookup key for one requester's records (for erasure), the same whatever the encryption."""
    return hashlib.sha256(b"privacy-qa:" + email.strip().casefold().encode()).hexdigest()


class Cipher:
    """Encrypts personal data at rest with Fernet when keys are set; otherwise stores it as is."""

    def __init__(self, keys: tuple[str, ...] = ()) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys]) if keys else None

    @property
    def enabled(self) -> bool:
        """Whether values are encrypted."""
        return self._fernet is not None

    def seal(self, value: str | None) -> str | None:
        """The value to store."""
        if value is None or self._fernet is None:
            return value
        return _ENCRYPTED + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        """The stored value, decrypted; rows written before a key was set read as they are."""
        if value is None or not value.startswith(_ENCRYPTED):
            return value
        if self._fernet is None:
            raise StoreError(
                "the store holds encrypted data but PRIVACY_QA_ENCRYPTION_KEY is not set; set it"
            )
        try:
            return self._fernet.decrypt(value.removeprefix(_ENCRYPTED).encode()).decode()
        except InvalidToken as exc:
            raise StoreError(
                "encrypted data does not open with PRIVACY_QA_ENCRYPTION_KEY; keep the old key "
                "in the list (newest first) when rotating"
            ) from exc
