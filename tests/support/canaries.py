"""Canaries: one unmistakable value per field, to show personal data reached no log, file or row."""

from __future__ import annotations

import secrets


class Canaries:
    """One unmistakable value per field, each found nowhere else."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def __call__(self, field: str) -> str:
        value = f"canary{secrets.token_hex(6)}"
        self.values[field] = value
        return value

    def email(self, field: str) -> str:
        """A canary that is also an e-mail address (the local part is the canary)."""
        return f"{self(field)}@example.com"

    def found_in(self, data: str | bytes) -> list[str]:
        """The fields whose canary is in `data`, in any case: text, or raw bytes (UTF-8, as
        SQLite stores text)."""
        lowered = data.lower()
        if isinstance(lowered, bytes):
            return [f for f, v in self.values.items() if v.lower().encode() in lowered]
        return [f for f, v in self.values.items() if v.lower() in lowered]
