"""Load a policy document (Markdown with YAML front matter) and split it into sections."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from index.languages import SUPPORTED_LANGUAGES, UnsupportedLanguage


class PolicyError(Exception):
    """A policy document cannot be used; the message names the file, the problem and the fix."""


@dataclass(frozen=True)
class Section:
    """One `##` (or `###`) section of a policy, kept verbatim."""

    id: str
    document: str
    heading: str
    path: tuple[str, ...]
    level: int
    markdown: str
    position: int


@dataclass(frozen=True)
class Policy:
    """A whole policy document: its metadata and its sections in document order."""

    name: str
    source: str
    title: str
    date: str | None
    authors: tuple[str, ...]
    last_updated: str | None
    version: str
    sections: tuple[Section, ...]
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    language: str = "en"

    def section(self, section_id: str) -> Section | None:
        """The section with this id, or None."""
        for section in self.sections:
            if section.id == section_id:
                return section
        return None


_HEADING = re.compile(r"^(#{2,3})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_LAST_UPDATED = re.compile(
    r"^[\W_]*last\s+updated[\W_]*?\s*:?\s*(?P<date>[^_*\n]+?)\s*[_*]*\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def slugify(heading: str) -> str:
    """A GitHub-style anchor slug of a heading: `Third-party Links` -> `third-party-links`."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text.casefold())
    text = re.sub(r"\s+", "-", text.strip())
    return text.strip("-") or "section"


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def split_sections(body: str, document: str, title: str) -> tuple[Section, ...]:
    """Split Markdown at `##` and `###` headings; text before the first heading is the preamble."""
    blocks: list[tuple[int, str, list[str]]] = [(1, title, [])]
    fence: str | None = None
    for line in body.splitlines():
        marker = _FENCE.match(line)
        if marker:
            if fence is None:
                fence = marker.group(1)[0] * 3
            elif line.lstrip().startswith(fence):
                fence = None
        found = None if fence else _HEADING.match(line)
        if found:
            blocks.append((len(found.group(1)), found.group(2).strip(), []))
        else:
            blocks[-1][2].append(line)

    sections: list[Section] = []
    taken: set[str] = set()
    parent = ""
    for level, heading, lines in blocks:
        markdown = "\n".join(lines).strip("\n")
        if level == 1:
            if not markdown.strip():
                continue
            path: tuple[str, ...] = (heading,)
            slug = _unique("preamble", taken)
        else:
            if level == 2:
                parent = heading
                path = (heading,)
            else:
                path = (parent, heading) if parent else (heading,)
            slug = _unique(slugify(heading), taken)
        sections.append(
            Section(
                id=slug,
                document=document,
                heading=heading,
                path=path,
                level=level,
                markdown=markdown,
                position=len(sections),
            )
        )
    return tuple(sections)


def _text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _language_of(value: Any, source: str) -> str:
    """The front matter's `language` as a supported code ("de", "de-AT" -> "de"); English when
    it is not given."""
    if value is None:
        return "en"
    code = str(value).strip().casefold().replace("_", "-").split("-", 1)[0]
    if code in SUPPORTED_LANGUAGES:
        return code
    raise PolicyError(
        f"{source}: front matter {UnsupportedLanguage(str(value))} (e.g. 'language: de'), "
        "or leave it out for English"
    )


def read_policy(text: str, name: str, source: str = "<text>") -> Policy:
    """Parse a policy from its text; raise PolicyError naming `source` if it is unusable."""
    try:
        post = frontmatter.loads(text)
        handler = YAMLHandler()
        if handler.detect(text):
            block = yaml.safe_load(handler.split(text)[0])
            if block is not None and not isinstance(block, dict):
                raise PolicyError(
                    f"{source}: the front matter must be a YAML mapping (key: value lines), "
                    f"not a {type(block).__name__}"
                )
    except yaml.YAMLError as exc:
        raise PolicyError(
            f"{source}: the YAML front matter is broken ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}); fix the block between the '---' lines"
        ) from exc
    meta = dict(post.metadata)
    title = _text_of(meta.get("title")) or name.replace("-", " ").replace("_", " ").title()
    authors_value = meta.get("authors") or meta.get("author") or []
    authors = (
        tuple(str(a) for a in authors_value)
        if isinstance(authors_value, list)
        else (str(authors_value),)
    )
    sections = split_sections(post.content, name, title)
    if not any(s.level >= 2 for s in sections):
        raise PolicyError(
            f"{source}: the document has no sections; start each section with a '## ' heading"
        )
    last_updated = _text_of(meta.get("last_updated") or meta.get("updated"))
    if last_updated is None:
        found = _LAST_UPDATED.search(post.content)
        last_updated = found.group("date").strip() if found else None
    return Policy(
        name=name,
        source=source,
        title=title,
        date=_text_of(meta.get("date")),
        authors=authors,
        last_updated=last_updated,
        version=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        sections=sections,
        metadata=meta,
        language=_language_of(meta.get("language"), source),
    )


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
