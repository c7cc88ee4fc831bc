"""Markdown to HTML that is safe to put on a page: raw HTML is shown as text, images as alt text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from index.passages import ATTRIBUTES, drop_attribute_line, take_tokens
from index.policy import heading_text

LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


class _Markdown(MarkdownIt):
    """markdown-it with our own rule for which links may be links."""

    def validateLink(self, url: str) -> bool:
        # An allow-list, where markdown-it refuses a few schemes (and lets data:image/png
        # through): a link is to the web, an address, a number, or a path on this site.
        scheme = _SCHEME.match(url)
        return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


def _plain_text(tokens: list[Token] | None) -> str:
    parts = []
    for token in tokens or ():
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type == "image":
            parts.append(_plain_text(token.children))
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _images_as_text(state: StateCore) -> None:
    # An image in the policy becomes its alt text: our pages hold no <img> from the document
    # (the commonest vehicle for script), and fetch nothing a policy's author points them at.
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = [
                Token("text", "", 0, content=_plain_text(child.children))
                if child.type == "image"
                else child
                for child in block.children
            ]


def _align_by_class(state: StateCore) -> None:
    # markdown-it aligns table cells with style="text-align:…", which our CSP (no inline
    # styles) refuses and reports; a class does the same through site.css.
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and token.attrs.get("style"):
            align = str(token.attrs.pop("style")).removeprefix("text-align:")
            token.attrSet("class", f"align-{align}")


def _heading_anchors(state: StateCore) -> None:
    # Kramdown attributes ({#id}, {: .class}) are markup, not text: off the headings, and a
    # paragraph that is only attributes goes. Each heading inside the section gets the anchor id
    # the policy gave it (Section.subheadings), matched by its text, in order.
    wanted: list[tuple[str, str]] = list(state.env.get("subheadings", ()))
    kept: list[Token] = []
    tokens = state.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "paragraph_open" and i + 2 < len(tokens):
            inline = tokens[i + 1]
            if drop_attribute_line(inline) is not None and not inline.children:
                i += 3
                continue
        if token.type == "heading_open" and i + 1 < len(tokens):
            inline = tokens[i + 1]
            text, _ = heading_text(inline)
            last = inline.children[-1] if inline.children else None
            if last is not None and last.type == "text":
                last.content = ATTRIBUTES.sub("", last.content)
            if wanted and wanted[0][1] == text:
                token.attrSet("id", wanted.pop(0)[0])
        kept.append(token)
        i += 1
    state.tokens = kept


# Our rules, in the order they run after markdown-it's own: by the parser on a section's text,
# and on the document's tokens of a section by render_markdown.
_RULES = {
    "images_as_text": _images_as_text,
    "align_by_class": _align_by_class,
    "heading_anchors": _heading_anchors,
}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False escapes any raw HTML in the source (tests/web/test_xss.py holds it to that).
    parser = _Markdown("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    for name, rule in _RULES.items():
        parser.core.ruler.push(name, rule)
    return parser


def render_markdown(markdown: str, subheadings: Sequence[tuple[str, str]] = ()) -> str:
    """HTML for a section body; nothing from the document can inject markup or script.

    `subheadings` are (id, text) of the headings inside it (Section.subheadings), so that
    each can be linked to."""
    parser = _parser()
    env = {"subheadings": tuple(subheadings)}
    tokens = take_tokens(markdown)
    if tokens is not None and _links_allowed(parser, tokens):
        # The document's parse of the section, kept when the policy was read: the tokens this
        # parser makes of the section alone (raw HTML as text too), if each link is one that
        # ours lets be a link (markdown-it's own rule, which the document was parsed with,
        # refuses fewer: a link both refuse is text in both). Then only our rules are left.
        state = StateCore("", parser, env, list(tokens))
        for rule in _RULES.values():
            rule(state)
        shared: str = parser.renderer.render(state.tokens, parser.options, env)
        return shared
    html: str = parser.render(markdown, env)
    return html


def _links_allowed(parser: MarkdownIt, tokens: list[Token]) -> bool:
    for block in tokens:
        for child in block.children or ():
            if child.type == "link_open" and not parser.validateLink(str(child.attrs["href"])):
                return False
            if child.type == "image" and not parser.validateLink(str(child.attrs["src"])):
                return False
    return True
