"""The text a browser would show of some HTML: raw HTML in a policy is indexed by it."""

from __future__ import annotations

from html.parser import HTMLParser

# A table row is one unit of text, its cells joined by this: a snippet reads as the row.
CELL_SEPARATOR = " | "


class _VisibleText(HTMLParser):
    """The text a browser would show of some HTML, one string per block, row or cell."""

    BLOCKS = frozenset(
        {
            *("address", "article", "aside", "blockquote", "caption", "dd", "details", "div"),
            *("dl", "dt", "figcaption", "figure", "footer", "form", "header", "hr", "li"),
            *("main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody"),
            *("tfoot", "thead", "ul", "h1", "h2", "h3", "h4", "h5", "h6"),
        }
    )
    HIDDEN = frozenset({"script", "style", "template", "head", "title", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.text: list[str] = []
        self.cells: list[str] | None = None  # inside a <tr>: the cells so far
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "tr":
            self._end_row()
            self.cells = []
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "br":
            self.text.append(" ")
        elif tag in self.BLOCKS:
            self._end_block()
        elif tag == "img":
            self.text.append(dict(attrs).get("alt") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.HIDDEN:  # <script/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "tr":
            self._end_row()
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in self.BLOCKS:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)

    def _take(self) -> str:
        text = " ".join("".join(self.text).split())
        self.text = []
        return text

    def _end_cell(self) -> None:
        text = self._take()
        if text and self.cells is not None:
            self.cells.append(text)
        elif text:
            self.blocks.append(text)

    def _end_row(self) -> None:
        self._end_cell()
        if self.cells:
            self.blocks.append(CELL_SEPARATOR.join(self.cells))
        self.cells = None

    def _end_block(self) -> None:
        if self.cells is not None:
            self._end_cell()  # a <p> or <div> inside a cell is part of the cell
        elif text := self._take():
            self.blocks.append(text)

    def close(self) -> None:
        super().close()
        self._end_row()
        self._end_block()


def visible_text(html: str) -> list[str]:
    """The text of an HTML fragment as a browser shows it, one string per block or table row."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.blocks
