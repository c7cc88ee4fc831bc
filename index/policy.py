"""Load a policy document (Markdown with YAML or TOML front matter) and split it into sections."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from index.errors import PolicyError
from index.metadata import language_of, last_updated, parse_date, split_front_matter, text_of
from index.sections import Section, heading_text, outline, slugify, split_sections

if TYPE_CHECKING:
    from pathlib import Path

# The names read from here: a policy is read through this module.
__all__ = [
    "Policy",
    "PolicyError",
    "Section",
    "heading_text",
    "load_policy",
    "parse_date",
    "read_policy",
    "slugify",
]


@dataclass(frozen=True)
class Policy:
    """A whole policy document: its metadata and its sections in document order."""

    name: str
    source: str
    title: str
    date: str | None
    authors: tuple[str, ...]
    last_updated: str | None  # as the document writes it, for showing
    version: str
    sections: tuple[Section, ...]
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    language: str = "en"
    updated_on: dt.date | None = None  # `last_updated` as a date, when it names a day

    def section(self, section_id: str) -> Section | None:
        """The section with this id, or None."""
        for section in self.sections:
            if section.id == section_id:
                return section
        return None


def read_policy(text: str, name: str, source: str = "<text>") -> Policy:
    """Parse a policy from its text; raise PolicyError naming `source` if it is unusable."""
    meta, body = split_front_matter(text, source)
    layout = outline(body)
    title = text_of(meta.get("title")) or layout.title_text or _title_of_name(name)
    authors_value = meta.get("authors") or meta.get("author") or []
    authors = (
        tuple(str(a) for a in authors_value)
        if isinstance(authors_value, list)
        else (str(authors_value),)
    )
    sections = split_sections(body, name, title, layout)
    if not any(s.level >= 1 for s in sections):
        raise PolicyError(
            f"{source}: the document has no sections; start each section with a '## ' heading "
            "followed by its text"
        )
    written, updated_on = last_updated(meta, body)
    return Policy(
        name=name,
        source=source,
        title=title,
        date=text_of(meta.get("date")),
        authors=authors,
        last_updated=written,
        version=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        sections=sections,
        metadata=meta,
        language=language_of(meta.get("language"), source),
        updated_on=updated_on,
    )


def _title_of_name(name: str) -> str:
    return name.replace("-", " ").replace("_", " ").title()


def load_policy(path: Path) -> Policy:
    """Read one policy file; raise PolicyError naming the file if it is missing or unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror}); check the path") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"{path}: the text is not UTF-8 (bad byte at offset {exc.start}); save it as UTF-8"
        ) from exc
    return read_policy(text.removeprefix("\ufeff"), path.stem, str(path))
