"""The best one or two sentences of a section for a question, with the matched words marked."""

from __future__ import annotations

from dataclasses import dataclass

from index.ranker import QueryTerm
from index.tokens import Analyzer, split_words
from qa.answers import Highlight
from qa.render import mark_spans

MAX_SNIPPET = 320


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a section, its index terms and its words' stems with offsets."""

    text: str
    terms: frozenset[str]
    words: tuple[tuple[int, int, str], ...]


def prepare_sentences(sentences: list[str], analyzer: Analyzer) -> tuple[Sentence, ...]:
    """Analyse a section's sentences once, when the assistant is built."""
    prepared = []
    for text in sentences:
        words = tuple(
            (w.start, w.end, analyzer.stem(w.text))
            for w in split_words(text)
            if not analyzer.is_stopword(w.text)
        )
        prepared.append(Sentence(text, frozenset(analyzer.terms(text)), words))
    return tuple(prepared)


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
    scores = []
    for sentence in sentences:
        score = 0.0
        for term, group in query.related:
            if term.term in sentence.terms:
                score += term.weight
            elif not group.isdisjoint(sentence.terms):
                score += query.synonym_weight * term.weight
        scores.append(score)
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    chosen = [ranked[0]]
    if len(ranked) > 1 and scores[ranked[1]] > 0:
        chosen.append(ranked[1])
    chosen.sort()
    wanted = query.wanted
    text_parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for n, i in enumerate(chosen):
        sentence = sentences[i]
        if n:
            joiner = " " if i == chosen[n - 1] + 1 else " … "
            if offset + len(joiner) + len(sentence.text) > MAX_SNIPPET:
                break
            text_parts.append(joiner)
            offset += len(joiner)
        text_parts.append(sentence.text)
        spans.extend((offset + s, offset + e) for s, e, stem in sentence.words if stem in wanted)
        offset += len(sentence.text)
    text = "".join(text_parts)
    highlights = tuple(Highlight(s, e, text[s:e]) for s, e in spans)
    return Snippet(text, mark_spans(text, spans), highlights)
