"""Rank a policy's sections for a question with rank-bm25, guarded against its known traps."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rank_bm25 import BM25Okapi

from index.passages import section_sentences
from index.policy import Section
from index.practices import Practices, default_practices, stem_words
from index.spelling import Speller, english_words
from index.tokens import Analyzer, split_words

Vector = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Params:
    """Ranking parameters; the defaults are the ones chosen by `privacy-qa eval` (README,
    "Quality"): k1, b, practice_weight and sentence_weight by 5-fold cross-validation over
    the PolicyQA dev policies, then checked on our own question set."""

    k1: float = 2.0
    b: float = 0.5
    heading_weight: int = 3
    synonym_weight: float = 0.8
    practice_weight: float = 3.0
    sentence_weight: float = 1.0


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
    uncovered: tuple[str, ...] = ()
    stems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Term:
    scores: Vector
    presence: Vector
    idf: float
    sentences: Vector


def _idf(n_docs: int, doc_freq: int) -> float:
    # rank-bm25's BM25Okapi idf is zero or negative for a term in over half the sections of a
    # small corpus (then floored at epsilon * mean idf); Lucene's form is always positive.
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def _term_scores(docs: list[list[str]], params: Params) -> dict[str, Vector]:
    """rank-bm25 scores of every term over the sections, one vector per term, idf kept positive."""
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
        self,
        sections: tuple[Section, ...],
        analyzer: Analyzer,
        params: Params = Params(),
        practices: Practices | None = None,
    ):
        self.sections = sections
        self.analyzer = analyzer
        self.params = params
        self.practices = practices or default_practices()
        self.sentences = [section_sentences(s.markdown) for s in sections]
        body = [analyzer.terms(" ".join(ss)) for ss in self.sentences]
        heads = [analyzer.terms(" ".join(s.path)) for s in sections]
        self.lengths = [len(doc) for doc in body]
        n = len(sections)
        self._terms: dict[str, _Term] = {}
        self._unknown_idf = _idf(n, 0)  # set before the early return: an empty corpus ranks too
        self._covered = np.zeros(len(self.practices.names), dtype=bool)
        self._offsets = np.zeros(0, dtype=int)
        self._practice = np.zeros((len(self.practices.names), n))
        self._titled = np.zeros((len(self.practices.names), n), dtype=bool)
        if n == 0:
            self.speller = Speller(())
            return
        # Heading words count `heading_weight` times, in the one rank-bm25 index: a single idf
        # and a single saturation per term (summing two fields' BM25 would saturate twice).
        docs = [b + h * params.heading_weight for b, h in zip(body, heads, strict=True)]
        scores_by_term = _term_scores(docs, params)
        # Sentences, for the best single sentence of each section (a question is often
        # answered by one sentence, and words spread over a long section match less). The
        # heading counts as one: it states what the section is about.
        sentence_terms: list[list[str]] = []
        offsets = []
        for head, sentences in zip(heads, self.sentences, strict=True):
            offsets.append(len(sentence_terms))
            sentence_terms.append(head)
            sentence_terms.extend(analyzer.terms(x) for x in sentences)
        self._offsets = np.array(offsets)
        in_sentences = _doc_sets(sentence_terms)
        m = len(sentence_terms)
        direct: dict[str, _Term] = {}
        for term, docs_with in _doc_sets(docs).items():
            presence = np.zeros(n)
            presence[list(docs_with)] = 1.0
            sentence_presence = np.zeros(m)
            sentence_presence[list(in_sentences.get(term, ()))] = 1.0
            direct[term] = _Term(
                scores_by_term[term], presence, _idf(n, len(docs_with)), sentence_presence
            )
        self._terms = dict(direct)
        for group in analyzer.groups:
            members = [direct[t] for t in group if t in direct]
            if not members:
                continue
            w = params.synonym_weight
            related_scores = w * np.max([m.scores for m in members], axis=0)
            related_presence = w * np.max([m.presence for m in members], axis=0)
            related_idf = max(x.idf for x in members)
            related_sentences = w * np.max([x.sentences for x in members], axis=0)
            for term in group:
                own = self._terms.get(term)
                if own is None:
                    self._terms[term] = _Term(
                        related_scores, related_presence, related_idf, related_sentences
                    )
                else:
                    self._terms[term] = _Term(
                        np.maximum(own.scores, related_scores),
                        np.maximum(own.presence, related_presence),
                        own.idf,
                        np.maximum(own.sentences, related_sentences),
                    )
        self._practice = self._practice_scores(
            [stem_words(analyzer, " ".join(ss)) for ss in self.sentences],
            [stem_words(analyzer, " ".join(s.path)) for s in sections],
        )
        words = [w.text for s in sections for w in split_words(" ".join(s.path) + " " + s.markdown)]
        self.speller = Speller([*words, *analyzer.vocabulary], english_words())

    def _practice_scores(self, body: list[list[str]], heads: list[list[str]]) -> Vector:
        """Per practice and section (from the stems of all its words, body and heading), how
        much the section is about the practice: the
        BM25-saturated counts of the practice's cues, each weighted by its idf in this
        document, scaled so that the section most about the practice scores k1 + 1."""
        p = self.params
        cues = self.practices
        found_in_body = [cues.cue_counts(b) for b in body]
        found_in_head = [cues.cue_counts(h) for h in heads]
        by_practice = cues.membership()
        raw = by_practice @ (np.add(found_in_body, found_in_head).T > 0)
        self._covered = raw.max(axis=1) > 0
        self._titled = by_practice @ (np.array(found_in_head, dtype=np.float64).T > 0) > 0
        counts = np.add(found_in_body, p.heading_weight * np.array(found_in_head)).T
        lengths = np.array(
            [len(b) + p.heading_weight * len(h) for b, h in zip(body, heads, strict=True)]
        )
        norm = p.k1 * (1 - p.b + p.b * lengths / max(float(lengths.mean()), 1.0))
        # A cue found in most sections of this policy ("use", "information") tells little
        # about which section is about the practice: weigh each cue by its idf here.
        idf = np.array([_idf(len(body), int(f)) for f in (counts > 0).sum(axis=1)])
        scores = by_practice @ (idf[:, None] * counts * (p.k1 + 1) / (counts + norm))
        # Scaled per practice, so that practice_weight means the same in a terse policy and a
        # wordy one: the section most about sharing is worth the same in both.
        top = scores.max(axis=1, keepdims=True)
        scaled: Vector = np.divide(
            scores * (p.k1 + 1), top, out=np.zeros_like(scores), where=top > 0
        )
        return scaled

    def best_for_practice(self, name: str, *, titled: bool = False) -> Section | None:
        """The section most about a practice (e.g. "rights"), or None if no section is; with
        `titled`, only a section whose heading names the practice."""
        if name not in self.practices.names or not self.sections:
            return None
        index = self.practices.names.index(name)
        row = self._practice[index]
        if titled:
            row = np.where(self._titled[index], row, 0.0)
        return self.sections[int(np.argmax(row))] if row.max() > 0 else None

    def vocabulary(self) -> set[str]:
        """Every index term of this document, its own and its privacy-vocabulary relatives."""
        return set(self._terms)

    def query_terms(self, question: str) -> tuple[list[QueryTerm], list[str]]:
        """The question's distinct terms (misspelled words corrected), and the words not known."""
        terms, unknown, _ = self._analyse(question)
        return terms, unknown

    def _analyse(self, question: str) -> tuple[list[QueryTerm], list[str], list[str]]:
        analyzer = self.analyzer
        stems: list[str] = []
        every: list[str] = []  # stems of all words, stopwords too, misspellings corrected
        typed_by_stem: dict[str, tuple[str, str]] = {}
        unknown: list[str] = []
        for word in split_words(question):
            if analyzer.is_stopword(word.text):
                every.append(analyzer.stem(word.text))
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
            every.append(stem)
            typed_by_stem.setdefault(stem, (word.text, meant))
        terms = []
        for term in dict.fromkeys(analyzer.add_phrases(stems, replace=True)):
            typed, meant = typed_by_stem.get(term, (term.replace("_", " "),) * 2)
            info = self._terms.get(term)
            terms.append(QueryTerm(typed, meant, term, info.idf if info else self._unknown_idf))
        return terms, unknown, every

    def rank(self, question: str, limit: int | None = None) -> Ranking:
        """Sections sharing a term with the question, by BM25 score; ties keep document order."""
        terms, unknown, every = self._analyse(question)
        known = [(t, self._terms[t.term]) for t in terms if t.term in self._terms]
        # The way a question is put ("how long", "what kind of") names its practice more surely
        # than the practice words it happens to use; those count only when it is not put so.
        mentioned = {i for i, c in enumerate(self.practices.counts(every)) if c}
        asked = self.practices.question_practices(every)
        topics = sorted(asked or mentioned)
        uncovered = tuple(
            self.practices.names[i] for i in sorted(asked | mentioned) if not self._covered[i]
        )
        if not known or not self.sections:
            return Ranking(tuple(terms), (), tuple(unknown), uncovered, tuple(every))
        scores = np.sum([info.scores for _, info in known], axis=0)
        topical = np.zeros(len(scores))
        if topics and self.params.practice_weight:
            topical = self._practice[topics].sum(axis=0)
            scores = scores + self.params.practice_weight * topical
        if self.params.sentence_weight:
            per_sentence = np.sum([t.weight * info.sentences for t, info in known], axis=0)
            best_sentence = np.maximum.reduceat(per_sentence, self._offsets)
            scores = scores + self.params.sentence_weight * best_sentence
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
        return Ranking(tuple(terms), tuple(hits), tuple(unknown), uncovered, tuple(every))
