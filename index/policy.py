"""Load a policy document (Markdown with YAML or TOML front matter) and split it into sections."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler
from markdown_it import MarkdownIt

from index.passages import drop_attribute_line, has_text, split_attributes

if TYPE_CHECKING:
    from pathlib import Path

    from markdown_it.token import Token

from index.languages import SUPPORTED_LANGUAGES, UnsupportedLanguage


class PolicyError(Exception):
    """A policy document cannot be used; the message names the file, the problem and the fix."""


@dataclass(frozen=True)
class Section:
    """One section of a policy, kept verbatim; deeper headings stay inside its Markdown."""

    id: str
    document: str
    heading: str
    path: tuple[str, ...]
    level: int  # the heading's level, 1 to 6; 0 for the preamble
    markdown: str
    position: int
    # The headings inside `markdown`, in order, with the anchor id each is given on the page.
    subheadings: tuple[tuple[str, str], ...] = ()


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


# -- front matter -------------------------------------------------------------------------


class _TOMLHandler(BaseHandler):
    """TOML front matter between `+++` lines (Hugo's default), read with the standard library:
    python-frontmatter's own TOML handler needs the unmaintained `toml` package."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_FRONT_MATTER: dict[str, tuple[str, BaseHandler]] = {
    "---": ("YAML", YAMLHandler()),
    "+++": ("TOML", _TOMLHandler()),
}


def split_front_matter(text: str, source: str = "<text>") -> tuple[dict[str, Any], str]:
    """The front matter (YAML between `---` lines, or TOML between `+++` lines, as Hugo
    writes it) as a mapping, and the Markdown after it, split and read by python-frontmatter;
    PolicyError names a broken block and the fix."""
    start = text.lstrip()
    opener = start.partition("\n")[0].rstrip()
    if opener not in _FRONT_MATTER:
        return {}, text
    kind, handler = _FRONT_MATTER[opener]
    fix = f"fix the block between the '{opener}' lines"
    try:
        block, body = handler.split(start)
    except ValueError:
        raise PolicyError(
            f"{source}: the {kind} front matter opened by '{opener}' on its first line is never "
            f"closed; end it with a '{opener}' line before the policy's text"
        ) from None
    try:
        data: Any = handler.load(block)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise PolicyError(
            f"{source}: the {kind} front matter is broken ({exc.__class__.__name__}: "
            f"{problem}); {fix}"
        ) from exc
    if data is None:
        return {}, body
    if not isinstance(data, dict):
        raise PolicyError(
            f"{source}: the front matter must be a {kind} mapping (key: value lines), "
            f"not a {type(data).__name__}; {fix}"
        )
    return data, body


# -- headings and sections ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # The same reading of the Markdown as qa/answering/render.py's (raw HTML is text), so that the
    # headings split on here are the headings shown on the page.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str
    custom_id: str | None
    start: int  # first line of the heading in the body
    end: int  # the line after it
    top: bool  # a heading of the document, not one inside a list or quote


_WORDS_AND_EMPHASIS = frozenset({"text", "em_open", "em_close", "strong_open", "strong_close"})


def heading_text(inline: Token) -> tuple[str, str | None]:
    """A heading's words as shown in contents and answers, and the id `{#id}` asks for.

    Emphasis is dropped (`**Cookies**` is "Cookies"); otherwise the heading is its source text
    (an entity, a link or raw HTML in it stays as written, to be shown escaped)."""
    text, custom_id = split_attributes(" ".join(inline.content.split()))
    children = inline.children or []
    # Only text and emphasis: the words without the delimiters, if together they are the
    # whole source (an entity or an escape would make the decoded words shorter).
    if all(child.type in _WORDS_AND_EMPHASIS for child in children):
        words = "".join(c.content for c in children if c.type == "text")
        markup = sum(len(c.markup) for c in children if c.type != "text")
        if len(words) + markup == len(inline.content):
            text = split_attributes(" ".join(words.split()))[0]
    return text, custom_id


def _headings(body: str) -> list[_Heading]:
    tokens = _parser().parse(body)
    found = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.map is None:
            continue
        text, custom_id = heading_text(tokens[i + 1])
        end = token.map[1]
        below = tokens[i + 3] if i + 4 < len(tokens) else None
        if (
            below is not None
            and below.type == "paragraph_open"
            and below.map is not None
            and below.map[0] == end
            and (named := drop_attribute_line(tokens[i + 4])) is not None
        ):
            # `{: #id}` on the line under a heading is the heading's, not its section's text.
            custom_id, end = named or custom_id, end + 1
        if text:  # an empty `##` heading is not a place to split or link to
            found.append(
                _Heading(int(token.tag[1]), text, custom_id, token.map[0], end, token.level == 0)
            )
    return found


def _outline(body: str) -> tuple[list[_Heading], list[_Heading], _Heading | None]:
    """Every heading, the ones that start a section, and the lone `#` title (if any).

    Sections start at the shallowest heading level that divides the document in two or more
    places (else at the shallowest there is), and at any shallower heading. A `#` that opens
    the document and is its only one is its title, when there are other headings to split at.
    """
    headings = _headings(body)
    counts = Counter(h.level for h in headings if h.top)
    if not counts:
        return headings, [], None
    first = headings[0]
    title = None
    if first.top and first.level == 1 and counts[1] == 1 and len(counts) > 1:
        title = first
        del counts[1]
    level = min((lv for lv, n in counts.items() if n >= 2), default=min(counts))
    bounds = [h for h in headings if h.top and h.level <= level and h is not title]
    return headings, _split_long(body, headings, bounds), title


MAX_SECTION_WORDS = 400  # a longer section with headings inside is split at them


def _split_long(body: str, headings: list[_Heading], bounds: list[_Heading]) -> list[_Heading]:
    """`bounds`, with each section longer than MAX_SECTION_WORDS split again at the shallowest
    headings inside it, until none is: one `##` that holds most of a policy under its `###`s
    would otherwise be the answer to nearly every question, and a visitor would read all of
    it to find one. Its own text before the first of them stays its section."""
    lines = body.split("\n")
    while True:
        ends = [*(b.start for b in bounds[1:]), len(lines)]
        added: list[_Heading] = []
        for bound, end in zip(bounds, ends, strict=True):
            inside = [h for h in headings if h.top and bound.start < h.start < end]
            words = len(" ".join(lines[bound.end : end]).split())
            if inside and words > MAX_SECTION_WORDS:
                level = min(h.level for h in inside)
                added += [h for h in inside if h.level == level]
        if not added:
            return bounds
        bounds = sorted([*bounds, *added], key=lambda h: h.start)


def split_sections(body: str, document: str, title: str) -> tuple[Section, ...]:
    """Split Markdown at the shallowest heading level that divides it in two or more places;
    deeper headings stay inside their section, text before the first heading is the preamble.

    A heading above that level (one `##` around every `###`, say) starts a section of its own
    if it has text, and heads the path of the sections under it. A heading with no text before
    the next one is merged into the next section, which keeps it in its path, so no section is
    ever empty. A lone `#` heading above the split level is the title, not a section.
    """
    lines = body.split("\n")
    headings, bounds, title_heading = _outline(body)

    def text_between(start: int, stop: int) -> str:
        return "\n".join(lines[start:stop]).strip("\n")

    # Each section that has text: its heading (None: the preamble), path, first and end line.
    drafts: list[tuple[_Heading | None, tuple[str, ...], int, int]] = []
    preamble_start = title_heading.end if title_heading else 0
    preamble_end = bounds[0].start if bounds else len(lines)
    if has_text(text_between(preamble_start, preamble_end)):
        drafts.append((None, (title,), preamble_start, preamble_end))
    stack: list[tuple[int, str, bool]] = []  # open headings: level, text, in a path already
    for n, heading in enumerate(bounds):
        stop = bounds[n + 1].start if n + 1 < len(bounds) else len(lines)
        carried: list[str] = []
        while stack and stack[-1][0] >= heading.level:
            _, text, used = stack.pop()
            if not used:
                carried.insert(0, text)
        path = (*(text for _, text, _ in stack), *carried, heading.text)
        if not has_text(text_between(heading.end, stop)):
            # Nothing to read: its words go to the next section's path, not to a 0-token section.
            stack.append((heading.level, heading.text, False))
            continue
        drafts.append((heading, path, heading.end, stop))
        stack = [(level, text, True) for level, text, _ in stack]
        stack.append((heading.level, heading.text, True))

    # Section ids first, so that a heading inside a section never takes a section's own id.
    taken: set[str] = set()
    ids = [
        _unique(head.custom_id or slugify(head.text) if head else "preamble", taken)
        for head, *_ in drafts
    ]
    sections = []
    for position, ((head, path, start, stop), section_id) in enumerate(
        zip(drafts, ids, strict=True)
    ):
        inside = [
            h
            for h in headings
            if start <= h.start < stop and h not in bounds and h is not title_heading
        ]
        sections.append(
            Section(
                id=section_id,
                document=document,
                heading=head.text if head else title,
                path=path,
                level=head.level if head else 0,
                markdown=text_between(start, stop),
                position=position,
                subheadings=tuple(
                    (_unique(h.custom_id or slugify(h.text), taken), h.text) for h in inside
                ),
            )
        )
    return tuple(sections)


# -- dates ----------------------------------------------------------------------------------

_MONTHS = {
    name: n
    for n, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{4}/\d{1,2}/\d{1,2}"
    rf"|{_MONTH}[ \t]+{_DAY},?[ \t]+\d{{4}}"
    rf"|{_DAY}[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+\d{{4}}"
    rf"|{_MONTH},?[ \t]+\d{{4}}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{4})"
)
_SEP = r"[ \t*_]*[:\-–—]?[ \t*_]*"
# "Last updated: March 3, 2025", "_Last Revised: 2023-01-05_", "This policy was last
# modified on 3 March 2025", "We last updated this policy on 3 March 2025".
_UPDATED_ON = re.compile(
    rf"\b(?:last[ \t]+)?(?:updated|revised|modified|amended)"
    r"(?:[ \t]+this(?:[ \t]+privacy)?[ \t]+(?:policy|notice|statement))?"
    rf"(?:[ \t]+(?:on|as[ \t]+of|date))?{_SEP}{_DATE}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
# "Effective date: 1 January 2024", "Effective January 1, 2024", "effective as of ...".
_EFFECTIVE_ON = re.compile(
    rf"\beffective(?:[ \t]+(?:date|as[ \t]+of|from|on))?{_SEP}{_DATE}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
# A line that is only "Last updated: <anything>": shown as written even when it is no date.
_LAST_UPDATED_LINE = re.compile(
    r"^[\W_]*last\s+updated[\W_]*?\s*:?\s*(?P<date>[^_*\n]+?)\s*[_*]*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Front matter keys that say when the policy last changed, best first (Hugo writes lastmod).
UPDATED_KEYS = ("lastmod", "last_updated", "updated", "last_modified", "modified")


def parse_date(text: str) -> dt.date | None:
    """The day a date names: ISO (2025-03-03), March 3, 2025, 3 March 2025, Mar 3 2025;
    None for anything else (a month alone, 03/04/2025 which reads two ways, nonsense)."""
    value = text.strip().casefold().replace(",", " ").replace(".", " ")
    words = value.replace("/", "-").split()
    try:
        if len(words) == 1 and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", words[0]):
            year, month, day = (int(p) for p in words[0].split("-"))
            return dt.date(year, month, day)
        words = [w for w in words if w != "of"]
        if len(words) != 3:
            return None
        if words[0] in _MONTHS:
            month_word, day_word, year_word = words
        elif words[1] in _MONTHS:
            day_word, month_word, year_word = words
        else:
            return None
        day = int(re.sub(r"(st|nd|rd|th)$", "", day_word))
        return dt.date(int(year_word), _MONTHS[month_word], day)
    except ValueError:
        return None


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


def _date_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value)) if value is not None else None


def last_updated(meta: dict[str, Any], body: str) -> tuple[str | None, dt.date | None]:
    """When the policy last changed, as written and as a date (None where it names no day).

    Best first: the front matter's lastmod (or last_updated, updated, ...), then the text's
    "Last updated/revised/modified ..." statement, then its "Effective ..." date, then the
    front matter's date (which Hugo and Jekyll use for when a page was first published)."""
    for key in UPDATED_KEYS:
        if meta.get(key) not in (None, ""):
            return _text_of(meta[key]), _date_of(meta[key])
    for pattern in (_UPDATED_ON, _EFFECTIVE_ON):
        if found := pattern.search(body):
            written = found.group("date")
            return written, parse_date(written)
        if pattern is _UPDATED_ON and (line := _LAST_UPDATED_LINE.search(body)):
            written = line.group("date").strip()
            return written, parse_date(written)
    if meta.get("date") not in (None, ""):
        return _text_of(meta["date"]), _date_of(meta["date"])
    return None, None


# -- documents ------------------------------------------------------------------------------


def read_policy(text: str, name: str, source: str = "<text>") -> Policy:
    """Parse a policy from its text; raise PolicyError naming `source` if it is unusable."""
    meta, body = split_front_matter(text, source)
    title = _text_of(meta.get("title")) or _title_heading(body) or _title_of_name(name)
    authors_value = meta.get("authors") or meta.get("author") or []
    authors = (
        tuple(str(a) for a in authors_value)
        if isinstance(authors_value, list)
        else (str(authors_value),)
    )
    sections = split_sections(body, name, title)
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
        date=_text_of(meta.get("date")),
        authors=authors,
        last_updated=written,
        version=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        sections=sections,
        metadata=meta,
        language=_language_of(meta.get("language"), source),
        updated_on=updated_on,
    )


def _title_of_name(name: str) -> str:
    return name.replace("-", " ").replace("_", " ").title()


def _title_heading(body: str) -> str | None:
    """The text of a lone `#` heading that opens the document, when it is no section."""
    title = _outline(body)[2]
    return title.text if title else None


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
