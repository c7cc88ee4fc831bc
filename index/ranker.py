"""Rank a policy's sections for a question with rank-bm25, guarded against its known traps."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rank_bm25 import BM25Okapi

from index.passages import section_sentences
from index.policy import Section
from index.spelling import Speller
from index.tokens import Analyzer, split_words

Vector = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Params:
    """Ranking parameters; the defaults are the ones chosen by `privacy-qa eval` (README)."""

    k1: float = 1.2
    b: float = 0.75
    heading_weight: float = 2.0
    synonym_weight: float = 0.5


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One distinct term of a question: the word typed, the word meant, and its index term."""

    typed: str
    word: str
    term: str
    weight: float


@dataclass(frozen=True, slots=True)
class Hit:
    """A section that shares at least one term with the question, and how well it matches."""

    section: Section
    score: float
    coverage: float
    matched: frozenset[str]


@dataclass(frozen=True, slots=True)
class Ranking:
    """The question's terms and the matching sections, best first."""

    terms: tuple[QueryTerm, ...]
    hits: tuple[Hit, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Term:
    scores: Vector
    presence: Vector
    idf: float


def _idf(n_docs: int, doc_freq: int) -> float:
    # rank-bm25's BM25Okapi idf is zero or negative for a term in over half the sections of a
    # small corpus (then floored at epsilon * mean idf); Lucene's form is always positive.
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def _field_scores(docs: list[list[str]], params: Params) -> dict[str, Vector]:
    """rank-bm25 scores of every term of the field, one vector per term, idf kept positive."""
    if not any(docs):
        return {}
    bm25 = BM25Okapi(docs, k1=params.k1, b=params.b)
    bm25.idf = {term: _idf(bm25.corpus_size, len(f)) for term, f in _doc_sets(docs).items()}
    return {term: np.asarray(bm25.get_scores([term]), dtype=np.float64) for term in bm25.idf}


def _doc_sets(docs: list[list[str]]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for i, doc in enumerate(docs):
        for term in doc:
            found.setdefault(term, set()).add(i)
    return found


class Ranker:
    """BM25 over one document's sections (body and heading fields), with synonyms and typos."""

    def __init__(
        self, sections: tuple[Section, ...], analyzer: Analyzer, params: Params = Params()
    ):
        self.sections = sections
        self.analyzer = analyzer
        self.params = params
        self.sentences = [section_sentences(s.markdown) for s in sections]
        body = [analyzer.terms(" ".join(ss)) for ss in self.sentences]
        heads = [analyzer.terms(" ".join(s.path)) for s in sections]
        self.lengths = [len(doc) for doc in body]
        n = len(sections)
        self._terms: dict[str, _Term] = {}
        if n == 0:
            self.speller = Speller(())
            return
        body_scores = _field_scores(body, params)
        head_scores = _field_scores(heads, params)
        occurs = _doc_sets([b + h for b, h in zip(body, heads, strict=True)])
        zero = np.zeros(n)
        direct: dict[str, _Term] = {}
        for term, docs in occurs.items():
            presence = np.zeros(n)
            presence[list(docs)] = 1.0
            scores = body_scores.get(term, zero) + params.heading_weight * head_scores.get(
                term, zero
            )
            direct[term] = _Term(scores, presence, _idf(n, len(docs)))
        self._terms = dict(direct)
        for group in analyzer.groups:
            members = [direct[t] for t in group if t in direct]
            if not members:
                continue
            w = params.synonym_weight
            related_scores = w * np.max([m.scores for m in members], axis=0)
            related_presence = w * np.max([m.presence for m in members], axis=0)
            related_idf = max(m.idf for m in members)
            for term in group:
                own = self._terms.get(term)
                if own is None:
                    self._terms[term] = _Term(related_scores, related_presence, related_idf)
                else:
                    self._terms[term] = _Term(
                        np.maximum(own.scores, related_scores),
                        np.maximum(own.presence, related_presence),
                        own.idf,
                    )
        self._unknown_idf = _idf(n, 0)
        words = [w.text for s in sections for w in split_words(" ".join(s.path) + " " + s.markdown)]
        self.speller = Speller([*words, *analyzer.vocabulary])

    def vocabulary(self) -> set[str]:
        """Every index term of this document, its own and its privacy-vocabulary relatives."""
        return set(self._terms)

    def query_terms(self, question: str) -> tuple[list[QueryTerm], list[str]]:
        """The question's distinct terms (misspelled words corrected), and the words not known."""
        analyzer = self.analyzer
        stems: list[str] = []
        typed_by_stem: dict[str, tuple[str, str]] = {}
        unknown: list[str] = []
        for word in split_words(question):
            if analyzer.is_stopword(word.text):
                continue
            meant = word.text
            stem = analyzer.stem(meant)
            if stem not in self._terms:
                corrected = self.speller.correct(meant)
                if corrected is not None and not analyzer.is_stopword(corrected):
                    meant, stem = corrected, analyzer.stem(corrected)
            if stem not in self._terms:
                unknown.append(word.text)
            stems.append(stem)
            typed_by_stem.setdefault(stem, (word.text, meant))
        terms = []
        for term in dict.fromkeys(analyzer.add_phrases(stems)):
            typed, meant = typed_by_stem.get(term, (term.replace("_", " "),) * 2)
            info = self._terms.get(term)
            terms.append(QueryTerm(typed, meant, term, info.idf if info else self._unknown_idf))
        return terms, unknown

    def rank(self, question: str, limit: int | None = None) -> Ranking:
        """Sections sharing a term with the question, by BM25 score; ties keep document order."""
        terms, unknown = self.query_terms(question)
        known = [(t, self._terms[t.term]) for t in terms if t.term in self._terms]
        if not known or not self.sections:
            return Ranking(tuple(terms), (), tuple(unknown))
        scores = np.sum([info.scores for _, info in known], axis=0)
        total_idf = sum(t.weight for t in terms) or 1.0
        coverage = np.sum([t.weight * info.presence for t, info in known], axis=0) / total_idf
        order = np.lexsort((np.arange(len(scores)), -scores))
        hits = []
        for i in order:
            if coverage[i] <= 0.0:
                continue
            matched = frozenset(t.term for t, info in known if info.presence[i] > 0.0)
            hits.append(Hit(self.sections[i], float(scores[i]), float(coverage[i]), matched))
            if limit is not None and len(hits) >= limit:
                break
        return Ranking(tuple(terms), tuple(hits), tuple(unknown))
