"""Rank a policy's sections for a question with rank-bm25, guarded against its known traps."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
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


MIN_CUES = 2  # cues of a core practice in one section for the policy to speak of it


@dataclass(frozen=True, slots=True)
class Params:
    """Ranking parameters; the defaults are the ones chosen by `privacy-qa eval` (README,
    "Quality"): k1, b, practice_weight and sentence_weight by 5-fold cross-validation over
    the PolicyQA dev policies, then checked on our own question set."""

    k1: float = 2.0
    b: float = 0.4
    heading_weight: int = 3
    synonym_weight: float = 0.8
    practice_weight: float = 3.0
    sentence_weight: float = 1.0
    filler_weight: float = 0.5
    intent_weight: float = 1.5


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
    example: str | None = None


@dataclass(frozen=True, slots=True)
class Ranking:
    """The question's terms and the matching sections, best first."""

    terms: tuple[QueryTerm, ...]
    hits: tuple[Hit, ...]
    unknown: tuple[str, ...]
    uncovered: tuple[str, ...] = ()
    stems: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    uncovered_asked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Term:
    scores: Vector
    presence: Vector
    idf: float
    sentences: Vector


@dataclass(frozen=True, slots=True)
class _Sparse:
    """A term's vectors as (index, value) pairs of their non-zero entries: a question's
    scores are summed over the few sections and sentences that have the term, in plain
    Python (numpy's call overhead outweighs its speed on vectors this short). Adding the
    zeros skipped changes no float, so the sums are numpy's to the last bit."""

    scores: tuple[tuple[int, float], ...]
    presence: tuple[tuple[int, float], ...]
    sentences: tuple[tuple[int, float], ...]


def _nonzero(vector: Vector) -> tuple[tuple[int, float], ...]:
    return tuple((i, v) for i, v in enumerate(vector.tolist()) if v)


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
        examples: Sequence[Sequence[str]] | None = None,
        vocabulary: Iterable[str] = (),
        lexicon: frozenset[str] = frozenset(),
    ):
        """`examples` are, per section in order, questions the privacy team says the section
        answers: each counts as a sentence of the section (so it is evidence, and makes no
        section longer). `vocabulary` adds words a misspelling may be corrected to."""
        self.sections = sections
        self.lexicon = lexicon
        self.examples = [tuple(e) for e in examples] if examples else [()] * len(sections)
        if len(self.examples) != len(sections):
            raise ValueError("examples: one list per section, in section order")
        self.analyzer = analyzer
        self.params = params
        self.practices = practices or default_practices()
        self.sentences = [section_sentences(s.markdown) for s in sections]
        body = [analyzer.terms(" ".join(ss)) for ss in self.sentences]
        # The preamble's heading is the document's title ("Privacy Policy"): words every
        # question about the policy shares, so they are not made heading words of it.
        heads = [analyzer.terms(" ".join(s.path)) if s.level > 0 else [] for s in sections]
        self.lengths = [len(doc) for doc in body]
        # A preamble of a title line or a date says nothing a question could ask about.
        self._silent = {i for i, s in enumerate(sections) if s.level == 0 and self.lengths[i] < 12}
        n = len(sections)
        self._terms: dict[str, _Term] = {}
        self._unknown_idf = _idf(n, 0)  # set before the early return: an empty corpus ranks too
        self._covered = np.zeros(len(self.practices.names), dtype=bool)
        self._offsets = np.zeros(0, dtype=int)
        self._units = 0
        self._practice = np.zeros((len(self.practices.names), n))
        self._practice_rows: list[tuple[tuple[int, float], ...]] = []
        self._unit_section: list[int] = []
        self._sparse: dict[str, _Sparse] = {}
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
        self._example_at: dict[int, tuple[int, str]] = {}
        for i, (head, sentences) in enumerate(zip(heads, self.sentences, strict=True)):
            offsets.append(len(sentence_terms))
            sentence_terms.append(head)
            sentence_terms.extend(analyzer.terms(x) for x in sentences)
            for example in self.examples[i]:
                self._example_at[len(sentence_terms)] = (i, example)
                sentence_terms.append(analyzer.terms(example))
        self._offsets = np.array(offsets)
        self._units = len(sentence_terms)
        self._unit_section = [
            i
            for i, (a, b) in enumerate(zip(offsets, [*offsets[1:], self._units], strict=True))
            for _ in range(b - a)
        ]
        in_sentences = _doc_sets(sentence_terms)
        m = len(sentence_terms)
        direct: dict[str, _Term] = {}
        # A term of an example question is present in its section (it explains the question)
        # but adds nothing to the section's BM25 text.
        in_examples = {
            term: {i for i in docs_with if i in self._example_at}
            for term, docs_with in in_sentences.items()
        }
        with_examples = _doc_sets(docs)
        for term, units in in_examples.items():
            for unit in units:
                with_examples.setdefault(term, set()).add(self._example_at[unit][0])
        for term, docs_with in with_examples.items():
            presence = np.zeros(n)
            presence[list(docs_with)] = 1.0
            sentence_presence = np.zeros(m)
            sentence_presence[list(in_sentences.get(term, ()))] = 1.0
            direct[term] = _Term(
                scores_by_term.get(term, np.zeros(n)),
                presence,
                _idf(n, len(docs_with)),
                sentence_presence,
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
        self._practice_rows = [_nonzero(row) for row in self._practice]
        words = [w.text for s in sections for w in split_words(" ".join(s.path) + " " + s.markdown)]
        extra = [*analyzer.stopwords, *vocabulary, *(e for ex in self.examples for e in ex)]
        self.speller = Speller(
            [*words, *analyzer.vocabulary],
            english_words(),
            extra=(w.text for text in extra for w in split_words(text)),
        )

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
        # A practice a policy speaks of, rather than touches in passing ("how we use, retain
        # and protect your information" is not a word on how long data is kept): named in a
        # heading, or with MIN_CUES cues in one section. The core practices' cues are common
        # words (retain, storage, access); a topic that many policies leave out (selling data,
        # children, a merger) has cues specific enough that one mention is the answer.
        in_head = by_practice @ (np.array(found_in_head, dtype=np.float64).T > 0)
        in_body = by_practice @ np.array(found_in_body, dtype=np.float64).T
        needed = np.array([MIN_CUES if n in cues.core else 1 for n in cues.names])
        covered = (in_head > 0) | (in_body >= needed[:, None])
        self._covered = np.asarray(covered.any(axis=1), dtype=bool)
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

    def _matched_example(
        self, section: int, per_sentence: Mapping[int, float], best: float
    ) -> str | None:
        """The example question of the section that matched best, when an example is the
        section's best evidence."""
        if not self.examples[section] or best <= 0.0:
            return None
        for unit, (owner, example) in self._example_at.items():
            if owner == section and per_sentence.get(unit, 0.0) >= best:
                return example
        return None

    def _sparse_of(self, term: str, info: _Term) -> _Sparse:
        # Made on a term's first question and kept: bounded by the document's vocabulary.
        found = self._sparse.get(term)
        if found is None:
            found = _Sparse(
                _nonzero(info.scores), _nonzero(info.presence), _nonzero(info.sentences)
            )
            self._sparse[term] = found
        return found

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
                if corrected is not None and analyzer.is_stopword(corrected):
                    every.append(analyzer.stem(corrected))  # "yuo" is "you"
                    continue
                if corrected is not None:
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
            if info is not None:
                weight = info.idf
            elif term in self.lexicon or "_" in term:
                weight = self._unknown_idf
            else:
                weight = self.params.filler_weight * self._unknown_idf
            terms.append(QueryTerm(typed, meant, term, weight))
        return terms, unknown, every

    def rank(
        self,
        question: str,
        limit: int | None = None,
        topics_of: Callable[[Sequence[str]], Mapping[str, frozenset[str]]] | None = None,
        keep: Section | None = None,
    ) -> Ranking:
        """Sections sharing a term with the question, by BM25 score; ties keep document order.
        With `limit`, the best `limit` only, and then the hit of section `keep` (the contact
        section the assistant may add) if it is a hit further down.
        `topics_of` names further practices the question is about, from the stems of its words
        (the assistant's intents: a visitor who wants to delete their data asks about rights),
        each with the stems that said so ("complain"): the sections most about that practice
        answer those words even where they do not use them."""
        terms, unknown, every = self._analyse(question)
        known = [(t, self._terms[t.term]) for t in terms if t.term in self._terms]
        # The way a question is put ("how long", "what kind of") names its practice more surely
        # than the practice words it happens to use; those count only when it is not put so.
        names = self.practices.names
        # Who the organisation is and where are topics only when asked ("where are you based"):
        # the words "company" or "office" in a question do not make it about them.
        mentioned = {
            i
            for i, c in enumerate(self.practices.counts(every))
            if c and names[i] not in self.practices.optional
        }
        forms = self.practices.question_forms(every)
        asked = set(forms)
        intent_cues = topics_of(every) if topics_of else {}
        wanted = sorted({names.index(n) for n in intent_cues if n in names})
        topics = sorted(asked or mentioned)
        uncovered = tuple(
            names[i]
            for i in sorted(asked | mentioned)
            if not self._covered[i] and names[i] not in self.practices.optional
        )
        uncovered_asked = tuple(names[i] for i in sorted(asked) if names[i] in uncovered)
        named = tuple(names[i] for i in topics)
        # The words of the form a question is put in ("my son", "year old") are answered by the
        # section most about what the form asks, like the words of an intent.
        said = self._intent_evidence(terms, intent_cues)
        for term, strength in self._intent_evidence(
            terms, {names[i]: words for i, words in forms.items()}
        ).items():
            said[term] = np.maximum(said[term], strength) if term in said else strength

        def ranking(hits: Sequence[Hit] = ()) -> Ranking:
            return Ranking(
                tuple(terms),
                tuple(hits),
                tuple(unknown),
                uncovered,
                tuple(every),
                named,
                uncovered_asked,
            )

        if not self.sections or not (known or asked or said):
            return ranking()
        if not (known or said):
            # A question put only in words that carry no term ("who are you", "where are you
            # based"): the practice its form asks about is all the evidence there is, and the
            # sections that speak of it most are the candidates, at half the confidence at most.
            topical_vector = (
                self._practice[topics].sum(axis=0) if topics else np.zeros(len(self.sections))
            )
            found = self._rank_by_practice(topical_vector, None)
            if limit is not None:
                found = found[:limit] + [h for h in found[limit:] if h.section == keep][:1]
            return ranking(found)
        # The sums below run in the order numpy's did (term by term, row by row), over the
        # non-zero entries only: the same floats, bit for bit.
        n = len(self.sections)
        rows = self._practice_rows
        topical = [0.0] * n
        for practice in topics:
            for i, v in rows[practice]:
                topical[i] += v
        scores = [0.0] * n
        sparse = [(t, self._sparse_of(t.term, info)) for t, info in known]
        for _, entry in sparse:
            for i, v in entry.scores:
                scores[i] += v
        for term, strength in said.items():
            # Scored as if the section used the word once, at an average length: BM25 gives
            # such a word its idf.
            w = term.weight
            for i, v in _nonzero(strength):
                scores[i] += w * v
        if topics and self.params.practice_weight:
            w = self.params.practice_weight
            for i, v in enumerate(topical):
                if v:
                    scores[i] += w * v
        if wanted and self.params.intent_weight:
            # What the visitor wants to do weighs less than what the question asks about: the
            # practice of an intent is a hint, and the question's own words are the evidence.
            intended: dict[int, float] = {}
            for practice in wanted:
                for i, v in rows[practice]:
                    intended[i] = intended.get(i, 0.0) + v
            w = self.params.intent_weight
            for i, v in intended.items():
                scores[i] += w * v
        per_sentence: dict[int, float] = {}
        for query_term, entry in sparse:
            w = query_term.weight
            for unit, v in entry.sentences:
                per_sentence[unit] = per_sentence.get(unit, 0.0) + w * v
        best_sentence = [0.0] * n
        unit_section = self._unit_section
        for unit, v in per_sentence.items():
            i = unit_section[unit]
            if v > best_sentence[i]:
                best_sentence[i] = v
        if self.params.sentence_weight:
            w = self.params.sentence_weight
            for i, v in enumerate(best_sentence):
                if v:
                    scores[i] += w * v
        total_idf = sum(t.weight for t in terms) or 1.0
        presence: dict[str, dict[int, float]] = {
            query_term.term: dict(entry.presence) for query_term, entry in sparse
        }
        for term, strength in said.items():
            own = presence.get(term.term)
            evidence = dict(_nonzero(strength))
            if own is None:
                presence[term.term] = evidence
            else:
                presence[term.term] = {
                    i: max(own.get(i, 0.0), evidence.get(i, 0.0)) for i in own.keys() | evidence
                }
        weights = {t.term: t.weight for t in terms}
        covered: dict[int, float] = {}
        for name, p in presence.items():
            w = weights[name]
            for i, v in p.items():
                covered[i] = covered.get(i, 0.0) + w * v
        candidates = [
            i
            for i, c in covered.items()
            if c / total_idf > 0.0 and not (i in self._silent and not topical[i])
        ]

        def order(i: int) -> tuple[float, int]:
            return (-scores[i], i)

        if limit is not None and limit < len(candidates):
            # The first `limit` of the sort, without sorting (or making hits of) the rest.
            kept = heapq.nsmallest(limit, candidates, key=order)
            if keep is not None:
                at = keep.position
                if at < n and self.sections[at] == keep and at in candidates and at not in kept:
                    kept.append(at)
        else:
            kept = sorted(candidates, key=order)
        hits = []
        for i in kept:
            matched = frozenset(name for name, p in presence.items() if p.get(i, 0.0) > 0.0)
            hit = Hit(
                self.sections[i],
                scores[i],
                covered[i] / total_idf,
                matched,
                self._matched_example(i, per_sentence, best_sentence[i]),
            )
            hits.append(hit)
        return ranking(hits)

    def _intent_evidence(
        self, terms: Sequence[QueryTerm], intent_cues: Mapping[str, frozenset[str]]
    ) -> dict[QueryTerm, Vector]:
        """For each question term that said what the visitor wants ("complain", "talk to a
        person"), how strongly each section answers it: by how much it is about the practice
        of that intent (the contact section answers "complain"), from 0 to 1."""
        names = self.practices.names
        said: dict[QueryTerm, Vector] = {}
        top = self.params.k1 + 1
        for practice, stems in intent_cues.items():
            if practice not in names or not stems:
                continue
            strength = self._practice[names.index(practice)] / top
            for term in terms:
                # A word the policy uses is its own evidence; only the words it never uses
                # ("complain", "human") are answered by the practice.
                if term.term in stems and term.term not in self._terms:
                    own = said.get(term)
                    said[term] = strength if own is None else np.maximum(own, strength)
        return said

    def _rank_by_practice(self, topical: Vector, limit: int | None) -> list[Hit]:
        """The sections that speak most of the practices a question's form asks about."""
        best = float(topical.max()) if len(topical) else 0.0
        hits = []
        if best > 0.0:
            for i in np.lexsort((np.arange(len(topical)), -topical)):
                if topical[i] <= 0.0:
                    break
                coverage = 0.5 * float(topical[i]) / best
                hits.append(Hit(self.sections[i], float(topical[i]), coverage, frozenset()))
                if limit is not None and len(hits) >= limit:
                    break
        return hits
