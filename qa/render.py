"""Markdown to HTML that is safe to put on a page: raw HTML in a document is shown as text."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False escapes any raw HTML in the source; markdown-it's validateLink already refuses
    # javascript:, vbscript:, file: and data: links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        "table"
    )


def render_markdown(markdown: str) -> str:
    """HTML for a section body; nothing from the document can inject markup or script."""
    html: str = _parser().render(markdown)
    return html


def mark_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped for HTML, with each (start, end) span wrapped in <mark>."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)
