"""A question as one document reads it (stopwords set aside, misspellings corrected against the
document's words, phrases joined, each term weighted by its idf here) and what it finds there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.bm25 import Term, Vector
from index.sections import Section
from index.spelling import Speller
from index.tokens import Analyzer, word_texts


# Its own __init__, which compiles (index/compiled.py).
@dataclass(slots=True, init=False, unsafe_hash=True)
class QueryTerm:
    """One distinct term of a question: the word typed, the word meant, and its index term."""

    typed: str
    word: str
    term: str
    weight: float

    def __init__(self, typed: str, word: str, term: str, weight: float) -> None:
        self.typed = typed
        self.word = word
        self.term = term
        self.weight = weight


@dataclass(slots=True, init=False, unsafe_hash=True)
class Hit:
    """A section that shares at least one term with the question, and how well it matches."""

    section: Section
    score: float
    coverage: float
    matched: frozenset[str]
    example: str | None = None

    def __init__(
        self,
        section: Section,
        score: float,
        coverage: float,
        matched: frozenset[str],
        example: str | None = None,
    ) -> None:
        self.section = section
        self.score = score
        self.coverage = coverage
        self.matched = matched
        self.example = example


@dataclass(slots=True, init=False, unsafe_hash=True)
class Ranking:
    """The question's terms and the matching sections, best first."""

    terms: tuple[QueryTerm, ...]
    hits: tuple[Hit, ...]
    unknown: tuple[str, ...]
    uncovered: tuple[str, ...] = ()
    stems: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    uncovered_asked: tuple[str, ...] = ()

    def __init__(
        self,
        terms: tuple[QueryTerm, ...],
        hits: tuple[Hit, ...],
        unknown: tuple[str, ...],
        uncovered: tuple[str, ...] = (),
        stems: tuple[str, ...] = (),
        topics: tuple[str, ...] = (),
        uncovered_asked: tuple[str, ...] = (),
    ) -> None:
        self.terms = terms
        self.hits = hits
        self.unknown = unknown
        self.uncovered = uncovered
        self.stems = stems
        self.topics = topics
        self.uncovered_asked = uncovered_asked


@dataclass(frozen=True)
class QueryReader:
    """Reads questions against one document's terms."""

    analyzer: Analyzer
    speller: Speller
    terms: dict[str, Term]
    lexicon: frozenset[str]  # words of privacy: weighed in full even where the policy lacks them
    unknown_idf: float  # the idf of a term no section has
    filler_weight: float  # the share of it a word neither the policy nor privacy knows gets

    def read(self, question: str) -> tuple[list[QueryTerm], list[str], list[str]]:
        """The question's distinct terms, the words the document does not know, and the stems
        of all its words (stopwords too, misspellings corrected)."""
        analyzer = self.analyzer
        stems: list[str] = []
        every: list[str] = []  # stems of all words, stopwords too, misspellings corrected
        typed_by_stem: dict[str, tuple[str, str]] = {}
        unknown: list[str] = []
        for typed in word_texts(question):
            if analyzer.is_stopword(typed):
                every.append(analyzer.stem(typed))
                continue
            meant = typed
            stem = analyzer.stem(meant)
            if stem not in self.terms:
                corrected = self.speller.correct(meant)
                if corrected is not None and analyzer.is_stopword(corrected):
                    every.append(analyzer.stem(corrected))  # "yuo" is "you"
                    continue
                if corrected is not None:
                    meant, stem = corrected, analyzer.stem(corrected)
            if stem not in self.terms:
                unknown.append(typed)
            stems.append(stem)
            every.append(stem)
            typed_by_stem.setdefault(stem, (typed, meant))
        terms = []
        for term in dict.fromkeys(analyzer.add_phrases(stems, replace=True)):
            typed, meant = typed_by_stem.get(term, (term.replace("_", " "),) * 2)
            info = self.terms.get(term)
            if info is not None:
                weight = info.idf
            elif term in self.lexicon or "_" in term:
                weight = self.unknown_idf
            else:
                weight = self.filler_weight * self.unknown_idf
            terms.append(QueryTerm(typed, meant, term, weight))
        return terms, unknown, every


def rank_by_practice(sections: Sequence[Section], topical: Vector, limit: int | None) -> list[Hit]:
    """The sections that speak most of the practices a question's form asks about."""
    best = float(topical.max()) if len(topical) else 0.0
    hits = []
    if best > 0.0:
        for i in np.lexsort((np.arange(len(topical)), -topical)):
            if topical[i] <= 0.0:
                break
            coverage = 0.5 * float(topical[i]) / best
            hits.append(Hit(sections[i], float(topical[i]), coverage, frozenset()))
            if limit is not None and len(hits) >= limit:
                break
    return hits
