"""What the visitor was told: the policy's version and the sections they were shown.

Kept with every rights request and escalation, so the privacy team can read exactly the text
the visitor read, even after the policy has changed (the version is the hash of the document,
the date is its "last updated" as written).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from index.library import Library
from qa.answering.answers import Answer
from qa.errors import QAError

MAX_SECTIONS = 20


@dataclass(frozen=True)
class Shown:
    """The document, its version and date, and the ids of the sections shown, best first."""

    document: str | None = None
    version: str | None = None
    last_updated: str | None = None
    sections: tuple[str, ...] = ()

    def columns(self) -> dict[str, Any]:
        """The values of the store's columns (rights_requests and escalations alike)."""
        return {
            "policy_document": self.document,
            "policy_version": self.version,
            "policy_updated": self.last_updated,
            "sections": orjson.dumps(list(self.sections)).decode(),
        }

    @classmethod
    def from_row(cls, row: Any) -> Shown:
        """Read back; rows made before this was kept have nothing."""
        return cls(
            row.policy_document,
            row.policy_version,
            row.policy_updated,
            tuple(orjson.loads(row.sections)) if row.sections else (),
        )

    def to_dict(self) -> dict[str, Any]:
        """What the support API shows."""
        return {
            "policy": {
                "document": self.document,
                "version": self.version,
                "last_updated": self.last_updated,
            },
            "sections": list(self.sections),
        }


def shown_by_answer(answer: Answer) -> Shown:
    """What an answer showed: its policy and its sections."""
    return Shown(
        answer.policy.document,
        answer.policy.version,
        answer.policy.last_updated,
        tuple(s.id for s in answer.sections),
    )


def shown_by_ids(library: Library, ids: tuple[str, ...]) -> Shown:
    """What a visitor who saw these sections (from a form or the chat) was shown; a QAError
    naming `sections` for an id no document has. The policy is that of the first id (the
    default document when there is none)."""
    if len(ids) > MAX_SECTIONS:
        raise QAError(f"sections: give at most {MAX_SECTIONS} section ids", "sections")
    home = library.default
    for number, section_id in enumerate(ids):
        owner = next((p for p in library.documents.values() if p.section(section_id)), None)
        if owner is None:
            raise QAError(
                f"sections: {section_id[:80]!r} is no section of the policy; send ids as the "
                "answer's sections give them (the policy's listing names every section id)",
                "sections",
            )
        if number == 0:
            home = owner
    return Shown(home.name, home.version, home.last_updated, tuple(dict.fromkeys(ids)))
