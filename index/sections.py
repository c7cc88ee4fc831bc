"""Split a policy's Markdown into sections at its headings, each kept verbatim, with ids."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt

from index.passages import drop_attribute_line, has_text, keep_tokens, split_attributes

if TYPE_CHECKING:
    from markdown_it.token import Token


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


def _headings(tokens: list[Token]) -> list[_Heading]:
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


@dataclass(frozen=True)
class Outline:
    """Where a document's sections start: every heading, the ones that start a section, and the
    lone `#` title (if any); read once, for the title and the sections alike."""

    headings: list[_Heading]
    bounds: list[_Heading]
    title: _Heading | None
    # The document's tokens, and whether it defines link references (which a section read
    # alone would not resolve, and the whole document does).
    tokens: list[Token]
    references: bool

    @property
    def title_text(self) -> str | None:
        """The text of a lone `#` heading that opens the document, when it is no section."""
        return self.title.text if self.title else None


def outline(body: str) -> Outline:
    """The document's outline.

    Sections start at the shallowest heading level that divides the document in two or more
    places (else at the shallowest there is), and at any shallower heading. A `#` that opens
    the document and is its only one is its title, when there are other headings to split at.
    """
    env: dict[str, Any] = {}
    tokens = _parser().parse(body, env)
    references = bool(env.get("references"))
    headings = _headings(tokens)
    counts = Counter(h.level for h in headings if h.top)
    if not counts:
        return Outline(headings, [], None, tokens, references)
    first = headings[0]
    title = None
    if first.top and first.level == 1 and counts[1] == 1 and len(counts) > 1:
        title = first
        del counts[1]
    level = min((lv for lv, n in counts.items() if n >= 2), default=min(counts))
    bounds = [h for h in headings if h.top and h.level <= level and h is not title]
    return Outline(headings, _split_long(body, headings, bounds), title, tokens, references)


def _block_starts(tokens: list[Token]) -> tuple[list[int], list[int], list[int]]:
    """Of each block at the document's top level: its first line, the line after it, and the
    index of its first token."""
    firsts: list[int] = []
    ends: list[int] = []
    at: list[int] = []
    for i, token in enumerate(tokens):
        if token.level == 0 and token.map is not None:
            firsts.append(token.map[0])
            ends.append(token.map[1])
            at.append(i)
    return firsts, ends, at


def _tokens_between(
    tokens: list[Token], blocks: tuple[list[int], list[int], list[int]], start: int, stop: int
) -> list[Token] | None:
    """The document's tokens of lines `start` to `stop`, if they are whole blocks: then they
    are the tokens those lines parse into alone (no block spans a heading that starts a
    section). None if a block starts before `start` and runs into it (a paragraph whose first
    line was an attribute line under the heading)."""
    firsts, ends, at = blocks
    first = bisect_left(firsts, start)
    if first > 0 and ends[first - 1] > start:
        return None
    last = bisect_left(firsts, stop)
    if last > first and ends[last - 1] > stop:
        return None
    return tokens[
        at[first] if first < len(at) else len(tokens) : at[last] if last < len(at) else len(tokens)
    ]


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


def split_sections(
    body: str, document: str, title: str, layout: Outline | None = None
) -> tuple[Section, ...]:
    """Split Markdown at the shallowest heading level that divides it in two or more places;
    deeper headings stay inside their section, text before the first heading is the preamble.

    A heading above that level (one `##` around every `###`, say) starts a section of its own
    if it has text, and heads the path of the sections under it. A heading with no text before
    the next one is merged into the next section, which keeps it in its path, so no section is
    ever empty. A lone `#` heading above the split level is the title, not a section.
    `layout` is the body's outline, when the caller has read it already (for its title).
    """
    lines = body.split("\n")
    layout = layout or outline(body)
    headings, bounds, title_heading = layout.headings, layout.bounds, layout.title
    # A section's text is read from the document's tokens where they are what its lines parse
    # into alone, as passages reads them (raw HTML read as HTML): with no "<", raw HTML cannot
    # start, and the two parsers differ in nothing else; with no reference definitions, a
    # link reads the same alone as in the whole; "\r" would number lines apart from ours.
    # The tokens are kept for the section's HTML too.
    shared = not layout.references and "\r" not in body
    blocks = _block_starts(layout.tokens)

    def text_between(start: int, stop: int) -> str:
        return "\n".join(lines[start:stop]).strip("\n")

    def has_text_between(start: int, stop: int) -> bool:
        text = text_between(start, stop)
        tokens = _tokens_between(layout.tokens, blocks, start, stop) if shared else None
        found = has_text(text, tokens if "<" not in text else None)
        if found and tokens is not None:
            # The page's HTML reads raw HTML as text, as this parse did: its tokens are the
            # section's there too (qa/answering/render.py checks its links).
            keep_tokens(text, tokens)
        return found

    # Each section that has text: its heading (None: the preamble), path, first and end line.
    drafts: list[tuple[_Heading | None, tuple[str, ...], int, int]] = []
    preamble_start = title_heading.end if title_heading else 0
    preamble_end = bounds[0].start if bounds else len(lines)
    if has_text_between(preamble_start, preamble_end):
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
        if not has_text_between(heading.end, stop):
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
