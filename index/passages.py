"""Plain-text sentences of a section's Markdown, for indexing and for snippets."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

_BOUNDARY = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
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


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def plain_blocks(markdown: str) -> list[str]:
    """The text of each paragraph, list item, table cell or heading, without Markdown markup."""
    blocks = []
    for token in _parser().parse(markdown):
        if token.type != "inline" or not token.children:
            continue
        parts = []
        for child in token.children:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif child.type == "image":
                parts.append(child.content)
        text = " ".join("".join(parts).split())
        if text:
            blocks.append(text)
    return blocks


def split_sentences(block: str) -> list[str]:
    """Sentences of one block of plain text; abbreviations such as `e.g.` do not end one."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(block):
        before = block[start : match.start()].rsplit(None, 1)
        last_word = before[-1].casefold() if before else ""
        if last_word in _ABBREVIATIONS or re.fullmatch(r"(?:\w\.)+", last_word):
            continue
        sentences.append(block[start : match.start()].strip())
        start = match.end()
    tail = block[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def section_sentences(markdown: str) -> list[str]:
    """Every sentence of a section, block by block, in order."""
    return [s for block in plain_blocks(markdown) for s in split_sentences(block)]
