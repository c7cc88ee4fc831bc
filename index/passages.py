"""Plain-text sentences of a section's Markdown, for indexing and for snippets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token

from index.visible import CELL_SEPARATOR, visible_text

# A sentence ends after its punctuation (the match's first character), before the space. The
# punctuation is matched, not looked behind for, so that the search skips to it.
_BOUNDARY = re.compile(r"[.!?][\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
_INITIALS = re.compile(r"(?:\w\.)+")  # "U.S.", "J.R.R.": not a sentence's end
_ABBREVIATIONS = frozenset(
    {
        "e.g.",
        "i.e.",
        "etc.",
        "inc.",
        "ltd.",
        "co.",
        "mr.",
        "mrs.",
        "ms.",
        "dr.",
        "st.",
        "vs.",
        "no.",
        "u.s.",
        "u.k.",
        "e.u.",
        "jr.",
        "sr.",
    }
)
# Kramdown's and Pandoc's attributes: `## Cookies {#cookies .wide}` after a heading, or a
# line of its own, `{: #cookies}`. They are markup, not words of the policy.
_ATTRIBUTE = r"(?:[#.][A-Za-z][\w:.-]*|[A-Za-z][\w-]*=\S+)"
ATTRIBUTES = re.compile(
    rf"[ \t]*\{{:?[ \t]*(?P<attrs>{_ATTRIBUTE}(?:[ \t]+{_ATTRIBUTE})*)[ \t]*\}}$"
)
ATTRIBUTE_LINE = re.compile(rf"\{{:[ \t]*{_ATTRIBUTE}(?:[ \t]+{_ATTRIBUTE})*[ \t]*\}}")
_ID = re.compile(r"(?:^|\s)#([A-Za-z][\w:.-]*)")


def split_attributes(text: str) -> tuple[str, str | None]:
    """A heading's text without a trailing `{#id .class}`, and the id it names (or None)."""
    # Searched for only where it can be: the search tries every position of a long text.
    found = ATTRIBUTES.search(text) if "{" in text else None
    if found is None or found.start() == 0:
        return text, None
    named = _ID.search(found.group("attrs"))
    return text[: found.start()].rstrip(), named.group(1) if named else None


def drop_attribute_line(inline: Token) -> str | None:
    """Take a kramdown attribute line (`{: #id}`) off the start of a paragraph, if it has one;
    the id it names, or "" when it names none, or None when there was no such line."""
    line = _attribute_line(inline)
    if line is None:
        return None
    inline.children = (inline.children or [])[2:]
    inline.content = inline.content.partition("\n")[2]
    named = _ID.search(line)
    return named.group(1) if named else ""


def _attribute_line(inline: Token) -> str | None:
    """The kramdown attribute line that opens a paragraph, or None."""
    children = inline.children or []
    if not children or children[0].type != "text":
        return None
    first = children[0].content.strip()
    if not ATTRIBUTE_LINE.fullmatch(first) or (
        len(children) > 1 and children[1].type not in ("softbreak", "hardbreak")
    ):
        return None
    return first


def _without_attribute_line(inline: Token) -> list[Token]:
    """A paragraph's children as `drop_attribute_line` leaves them, the tokens left as they are
    (a section's tokens may be its HTML's too, see `keep_tokens`)."""
    children = inline.children or []
    return children if _attribute_line(inline) is None else children[2:]


@lru_cache(maxsize=2)
def _parser(html: bool = True) -> MarkdownIt:
    # html=True: raw HTML comes out as html_block and html_inline tokens, whose visible text is
    # indexed below, where html=False would index the tags and attributes as words.
    return MarkdownIt("commonmark", {"html": html}).enable("table")


def inline_text(children: Sequence[Token] | None) -> str:
    """The words of one inline run (a paragraph, cell or heading), without markup."""
    children = children or ()
    tagged = any(child.type == "html_inline" for child in children)
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            parts.append(escape(child.content, quote=False) if tagged else child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "html_inline":
            parts.append(child.content)
    if not tagged:
        # No tags: the HTML would be the text escaped, and its visible text that text
        # unescaped again, so the words are the text's own (the same string, without the
        # HTML parser, which costs more than parsing the Markdown).
        return " ".join("".join(parts).split())
    # Text and tags together are one small HTML document: the tags go, entities are decoded
    # once, and what sits in an inline <script> or <style> is left out as a browser would.
    return " ".join(visible_text("".join(parts)))


def plain_blocks(markdown: str, *, html_as_text: bool = False) -> list[str]:
    """The text of each paragraph, list item, table row, heading or HTML block, without markup:
    of raw HTML, what a browser would show, or with `html_as_text` the HTML as written (as
    our pages show it)."""
    if html_as_text:
        return list(_blocks_as_written(markdown))
    return list(read_blocks(markdown))


# A section's text is read twice while a policy is loaded (does it have text? its
# sentences?): the second read is the first's. Emptied when full, which a policy's sections
# (a few dozen) reach once in a few dozen policies: each entry is set or read in one step, so
# threads that load documents at once need no lock.
_READ: dict[str, tuple[str, ...]] = {}
_READ_LIMIT = 2048


def read_blocks(markdown: str, tokens: list[Token] | None = None) -> tuple[str, ...]:
    """`plain_blocks(markdown)`; `tokens` are the text's tokens as `_parser()` would parse it,
    when the caller has them (see `sections.split_sections`). Read once, then remembered."""
    found = _READ.get(markdown)
    if found is None:
        found = _blocks(_parser().parse(markdown) if tokens is None else tokens)
        if len(_READ) >= _READ_LIMIT:
            _READ.clear()
        _READ[markdown] = found
    return found


@lru_cache(maxsize=256)
def _blocks_as_written(markdown: str) -> tuple[str, ...]:
    return _blocks(_parser(False).parse(markdown))


def _blocks(tokens: list[Token]) -> tuple[str, ...]:
    blocks: list[str] = []
    cells: list[str] | None = None
    for token in tokens:
        if token.type == "tr_open":
            cells = []
        elif token.type == "tr_close":
            if cells:
                blocks.append(CELL_SEPARATOR.join(cells))
            cells = None
        elif token.type == "html_block":
            blocks.extend(visible_text(token.content))
        elif token.type == "inline" and token.children:
            children = _without_attribute_line(token)
            text = split_attributes(" ".join(inline_text(children).split()))[0]
            if text and cells is not None:
                cells.append(text)
            elif text:
                blocks.append(text)
    return tuple(blocks)


# The document's tokens of a section's text, from `split_sections` to the section's HTML
# (qa/answering/render.py): the document is parsed once for both. Taken once; emptied when
# full, as _READ is (a document read but never shown leaves its sections here until then).
_TOKENS: dict[str, list[Token]] = {}


def keep_tokens(markdown: str, tokens: list[Token]) -> None:
    """Keep a section's tokens (the document's, as `read_blocks` takes them) for its HTML."""
    if len(_TOKENS) >= _READ_LIMIT:
        _TOKENS.clear()
    _TOKENS[markdown] = tokens


def take_tokens(markdown: str) -> list[Token] | None:
    """The tokens kept for a section's text, once; None if none were (or they were taken)."""
    return _TOKENS.pop(markdown, None)


def has_text(markdown: str, tokens: list[Token] | None = None) -> bool:
    """Whether a reader sees any words in it: text, a code block, or HTML's visible text.
    `tokens` as for `read_blocks`."""
    return bool(read_blocks(markdown, tokens)) or any(
        token.type in ("fence", "code_block") and token.content.strip()
        for token in (_parser().parse(markdown) if tokens is None else tokens)
    )


def split_sentences(block: str) -> list[str]:
    """Sentences of one block of plain text; abbreviations such as `e.g.` do not end one."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(block):
        end = match.start() + 1
        before = block[start:end].rsplit(None, 1)
        last_word = before[-1].casefold() if before else ""
        if last_word in _ABBREVIATIONS or _INITIALS.fullmatch(last_word):
            continue
        sentences.append(block[start:end].strip())
        start = match.end()
    tail = block[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def section_sentences(markdown: str) -> list[str]:
    """Every sentence of a section, block by block, in order."""
    return [s for block in plain_blocks(markdown) for s in split_sentences(block)]
