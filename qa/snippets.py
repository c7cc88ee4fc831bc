"""The best one or two sentences of a section for a question, with the matched words marked."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from index.ranker import QueryTerm
from index.tokens import Analyzer, split_words
from qa.answers import Highlight

MAX_SNIPPET = 320


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a section, its index terms and its words' stems with offsets, and its
    HTML made once: `gaps[k]` is the escaped text before word k (after word k - 1), the last
    one the text after the last word, and `marked[k]` / `plain[k]` word k escaped, with and
    without its <mark>. html.escape maps character by character, so joining escaped pieces
    is escaping the whole."""

    text: str
    terms: frozenset[str]
    words: tuple[tuple[int, int, str], ...]
    html: str = ""
    gaps: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()
    marked: tuple[str, ...] = ()


def prepare_sentences(sentences: list[str], analyzer: Analyzer) -> tuple[Sentence, ...]:
    """Analyse a section's sentences once, when the assistant is built."""
    prepared = []
    for text in sentences:
        words = tuple(
            (w.start, w.end, analyzer.stem(w.text))
            for w in split_words(text)
            if not analyzer.is_stopword(w.text)
        )
        ends = [0, *(e for _, e, _ in words)]
        starts = [*(s for s, _, _ in words), len(text)]
        plain = tuple(escape(text[s:e]) for s, e, _ in words)
        prepared.append(
            Sentence(
                text,
                frozenset(analyzer.terms(text)),
                words,
                escape(text),
                tuple(escape(text[a:b]) for a, b in zip(ends, starts, strict=True)),
                plain,
                tuple(f"<mark>{w}</mark>" for w in plain),
            )
        )
    return tuple(prepared)


def _sentence_html(sentence: Sentence, wanted: frozenset[str]) -> str:
    """The sentence as HTML with its wanted words marked, from the pieces made at start-up."""
    words = sentence.words
    if not any(stem in wanted for _, _, stem in words):
        return sentence.html
    gaps, plain, marked = sentence.gaps, sentence.plain, sentence.marked
    parts = []
    for k, (_, _, stem) in enumerate(words):
        parts.append(gaps[k])
        parts.append(marked[k] if stem in wanted else plain[k])
    parts.append(gaps[-1])
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Snippet:
    """The chosen text, its highlights, and the same as escaped HTML with <mark> tags."""

    text: str
    html: str
    highlights: tuple[Highlight, ...]


def _stems_of(terms: frozenset[str]) -> frozenset[str]:
    return frozenset(part for term in terms for part in term.split("_"))


@dataclass(frozen=True, slots=True)
class SnippetQuery:
    """A question's terms as snippets need them, worked out once per answer."""

    related: tuple[tuple[QueryTerm, frozenset[str]], ...]
    wanted: frozenset[str]
    synonym_weight: float


def prepare_query(
    terms: list[QueryTerm], analyzer: Analyzer, synonym_weight: float
) -> SnippetQuery:
    """Each term with its privacy-vocabulary relatives, and every stem worth marking."""
    related = tuple((t, analyzer.related_terms(t.term)) for t in terms)
    wanted = _stems_of(frozenset(term for _, group in related for term in group))
    return SnippetQuery(related, wanted, synonym_weight)


def make_snippet(sentences: tuple[Sentence, ...], query: SnippetQuery) -> Snippet:
    """Pick the best-matching sentence (and the next best, if it matches too) and mark words."""
    if not sentences:
        return Snippet("", "", ())
    # The best sentence and the runner-up by (-score, position): the first two of a sort.
    best, best_score, second, second_score = -1, 0.0, -1, 0.0
    related = query.related
    weight = query.synonym_weight
    for i, sentence in enumerate(sentences):
        score = 0.0
        terms = sentence.terms
        for term, group in related:
            if term.term in terms:
                score += term.weight
            elif not group.isdisjoint(terms):
                score += weight * term.weight
        if best < 0 or score > best_score:
            best, best_score, second, second_score = i, score, best, best_score
        elif second < 0 or score > second_score:
            second, second_score = i, score
    chosen = [best]
    if second >= 0 and second_score > 0:
        chosen.append(second)
    chosen.sort()
    wanted = query.wanted
    text_parts: list[str] = []
    html_parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for n, i in enumerate(chosen):
        sentence = sentences[i]
        if n:
            joiner = " " if i == chosen[n - 1] + 1 else " … "
            if offset + len(joiner) + len(sentence.text) > MAX_SNIPPET:
                break
            text_parts.append(joiner)
            html_parts.append(joiner)  # nothing in it to escape
            offset += len(joiner)
        text_parts.append(sentence.text)
        html_parts.append(_sentence_html(sentence, wanted))
        spans.extend((offset + s, offset + e) for s, e, stem in sentence.words if stem in wanted)
        offset += len(sentence.text)
    text = "".join(text_parts)
    highlights = tuple(Highlight(s, e, text[s:e]) for s, e in spans)
    return Snippet(text, "".join(html_parts), highlights)
