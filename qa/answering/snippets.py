"""The best one or two sentences of a section for a question, with the matched words marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from index.analysis import SentenceAnalysis
from index.ranker import QueryTerm
from index.tokens import Analyzer
from qa.answering.answers import Highlight

MAX_SNIPPET = 320


# Its own __init__, which compiles (index/compiled.py).
@dataclass(slots=True, init=False, unsafe_hash=True)
class Sentence:
    """A sentence of a section, its index terms and its words' stems with offsets, and its
    HTML made once: `html` is the sentence escaped, and `marks[k]` where word k starts and
    ends in it (no marks where escaping changed nothing: there the words' own offsets are
    theirs). html.escape maps character by character, so a word is marked by cutting the
    escaped sentence at its ends: the same as escaping the pieces of a marked text."""

    text: str
    terms: frozenset[str]
    words: tuple[tuple[int, int, str], ...]
    html: str = ""
    marks: tuple[tuple[int, int], ...] = ()
    stems: frozenset[str] = frozenset()

    def __init__(
        self,
        text: str,
        terms: frozenset[str],
        words: tuple[tuple[int, int, str], ...],
        html: str = "",
        marks: tuple[tuple[int, int], ...] = (),
        stems: frozenset[str] = frozenset(),
    ) -> None:
        self.text = text
        self.terms = terms
        self.words = words
        self.html = html
        self.marks = marks
        self.stems = stems


@dataclass(frozen=True, slots=True)
class Sentences:
    """A section's sentences; for each index term the sentences that have it, in order; each
    term's privacy-vocabulary relatives (`related`), and the sentences that have only a relative
    of a term, kept for each vocabulary term a question has asked with."""

    items: tuple[Sentence, ...]
    having: dict[str, tuple[int, ...]]
    related: dict[str, frozenset[str]]
    relatives: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def relatives_of(self, term: str) -> tuple[int, ...]:
        """The sentences that have a relative of `term` and not the term itself. Worked out on
        the term's first question and kept: at most one entry per term of the vocabulary."""
        found = self.relatives.get(term)
        if found is None:
            group = self.related.get(term)
            if group is None:
                return ()
            others = {i for g in group if g != term for i in self.having.get(g, ())}
            others.difference_update(self.having.get(term, ()))
            found = tuple(sorted(others))
            self.relatives[term] = found  # the same tuple whichever thread stores it first
        return found


def prepare_sentences(
    sentences: Sequence[SentenceAnalysis], related: dict[str, frozenset[str]]
) -> Sentences:
    """A section's sentences, as the ranker analysed them when the assistant was built, made
    ready for snippets (`related`: the relatives of each term a question's terms are read
    with)."""
    prepared = []
    having: dict[str, list[int]] = {}
    for n, sentence in enumerate(sentences):
        text = sentence.text
        words = sentence.words
        html = escape(text)
        marks: list[tuple[int, int]] = []  # none: escaping changed nothing, the offsets stand
        if len(html) != len(text):
            at, done = 0, 0  # `at` in the escaped sentence is where `done` is in the text
            for start, end, _ in words:
                at += len(escape(text[done:start]))
                begin = at
                at += len(escape(text[start:end]))
                marks.append((begin, at))
                done = end
        terms = frozenset(sentence.terms)
        for term in terms:
            having.setdefault(term, []).append(n)
        prepared.append(
            Sentence(
                text,
                terms,
                words,
                html,
                tuple(marks),
                frozenset(stem for _, _, stem in words),
            )
        )
    return Sentences(tuple(prepared), {t: tuple(found) for t, found in having.items()}, related)


@dataclass(slots=True, init=False, unsafe_hash=True)
class Snippet:
    """The chosen text, its highlights, and the same as escaped HTML with <mark> tags."""

    text: str
    html: str
    highlights: tuple[Highlight, ...]

    def __init__(self, text: str, html: str, highlights: tuple[Highlight, ...]) -> None:
        self.text = text
        self.html = html
        self.highlights = highlights


@dataclass(slots=True, init=False, unsafe_hash=True)
class SnippetQuery:
    """A question's terms as snippets need them, worked out once per answer."""

    terms: tuple[QueryTerm, ...]
    wanted: frozenset[str]
    synonym_weight: float

    def __init__(
        self, terms: tuple[QueryTerm, ...], wanted: frozenset[str], synonym_weight: float
    ) -> None:
        self.terms = terms
        self.wanted = wanted
        self.synonym_weight = synonym_weight


def prepare_query(
    terms: list[QueryTerm], analyzer: Analyzer, synonym_weight: float
) -> SnippetQuery:
    """The question's terms, and every stem worth marking: theirs and their relatives'."""
    none: frozenset[str] = frozenset()
    wanted = none.union(*[analyzer.related_stems(t.term) for t in terms])
    return SnippetQuery(tuple(terms), wanted, synonym_weight)


def _scores(sentences: Sentences, query: SnippetQuery) -> dict[int, float]:
    """The sentences that share a term (or a relative of one) with the question, and their
    scores: a term's weight where the sentence has it, synonym_weight of it where the
    sentence has only a relative; summed term by term, so each float is what adding over
    every sentence would give."""
    having = sentences.having
    scores: dict[int, float] = {}
    for term in query.terms:
        weight = term.weight
        for i in having.get(term.term, ()):
            scores[i] = scores.get(i, 0.0) + weight
        others = sentences.relatives_of(term.term)
        if others:
            related = query.synonym_weight * weight
            for i in others:
                scores[i] = scores.get(i, 0.0) + related
    return scores


def make_snippet(sentences: Sentences, query: SnippetQuery) -> Snippet:
    """Pick the best-matching sentence (and the next best, if it matches too) and mark words."""
    items = sentences.items
    if not items:
        return Snippet("", "", ())
    # The first two of all sentences by (-score, position): the sentences without a term
    # score 0 and the first of them all is the first sentence.
    ranked = sorted((-score, i) for i, score in _scores(sentences, query).items() if score > 0)
    chosen = [ranked[0][1] if ranked else 0]
    if len(ranked) > 1:
        chosen.append(ranked[1][1])
    chosen.sort()
    wanted = query.wanted
    text_parts: list[str] = []
    html_parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for n, i in enumerate(chosen):
        sentence = items[i]
        if n:
            joiner = " " if i == chosen[n - 1] + 1 else " … "
            if offset + len(joiner) + len(sentence.text) > MAX_SNIPPET:
                break
            text_parts.append(joiner)
            html_parts.append(joiner)  # nothing in it to escape
            offset += len(joiner)
        text_parts.append(sentence.text)
        html = sentence.html
        if sentence.stems.isdisjoint(wanted):
            html_parts.append(html)
        else:
            last = 0
            for k, (start, end, stem) in enumerate(sentence.words):
                if stem in wanted:
                    begin, finish = sentence.marks[k] if sentence.marks else (start, end)
                    html_parts += (html[last:begin], "<mark>", html[begin:finish], "</mark>")
                    last = finish
                    spans.append((offset + start, offset + end))
            html_parts.append(html[last:])
        offset += len(sentence.text)
    text = "".join(text_parts)
    highlights = tuple(Highlight(s, e, text[s:e]) for s, e in spans)
    return Snippet(text, "".join(html_parts), highlights)
