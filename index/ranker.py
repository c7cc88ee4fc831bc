"""Rank a policy's sections for a question with rank-bm25, guarded against its known traps."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from index.analysis import analyse_section, analyse_sentence
from index.bm25 import Params, Sparse, Term, idf, nonzero, term_table
from index.policy import Section
from index.practice_table import practice_table
from index.practices import Practices, default_practices
from index.query import Hit, QueryReader, QueryTerm, Ranking, rank_by_practice
from index.spelling import Speller, english_words, known_words
from index.tokens import Analyzer, text_words, word_texts

# Params and QueryTerm are read from here by the callers of rank().
__all__ = ["Hit", "Params", "QueryTerm", "Ranker", "Ranking"]


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
        # Each section's sentences split and stemmed once, for its section's best sentence,
        # the practices and (read by the caller) the snippets.
        self.analysis = [analyse_section(s.markdown, analyzer) for s in sections]
        sentence_terms = [[x.terms for x in a.sentences] for a in self.analysis]
        body = [a.terms for a in self.analysis]
        # Each heading path read once too, for its terms and the practices' stems of it.
        headings = [analyse_sentence(" ".join(s.path), analyzer) for s in sections]
        # The preamble's heading is the document's title ("Privacy Policy"): words every
        # question about the policy shares, so they are not made heading words of it.
        heads = [h.terms if s.level > 0 else [] for h, s in zip(headings, sections, strict=True)]
        self.lengths = [len(doc) for doc in body]
        # A preamble of a title line or a date says nothing a question could ask about.
        self._silent = {i for i, s in enumerate(sections) if s.level == 0 and self.lengths[i] < 12}
        n = len(sections)
        self._terms: dict[str, Term] = {}
        self._unknown_idf = idf(n, 0)  # set before the early return: an empty corpus ranks too
        self._covered = np.zeros(len(self.practices.names), dtype=bool)
        self._practice = np.zeros((len(self.practices.names), n))
        self._practice_rows: list[tuple[tuple[int, float], ...]] = []
        self._practice_lists: list[list[float]] = self._practice.tolist()
        self._covered_list: list[bool] = self._covered.tolist()
        self._unit_section: list[int] = []
        self._sparse: dict[str, Sparse] = {}
        self._titled = np.zeros((len(self.practices.names), n), dtype=bool)
        if n == 0:
            self.speller = Speller(())
            self._reader = self._reader_with(self.speller)
            return
        table = term_table(body, heads, sentence_terms, self.examples, analyzer, params)
        self._terms = table.terms
        self._unit_section = table.unit_section
        self._example_at = table.example_at
        practice = practice_table(
            self.practices,
            params,
            [a.stems for a in self.analysis],
            [h.stems for h in headings],
        )
        self._practice, self._covered, self._titled = (
            practice.scores,
            practice.covered,
            practice.titled,
        )
        self._practice_rows = [nonzero(row) for row in self._practice]
        self._practice_lists = self._practice.tolist()
        self._covered_list = self._covered.tolist()
        words = [w for s in sections for w in text_words(" ".join(s.path) + " " + s.markdown)]
        asked = [w for ex in self.examples for text in ex for w in word_texts(text)]
        self.speller = Speller(
            [*words, *analyzer.vocabulary],
            english_words(),
            extra=[*known_words((*analyzer.stopwords, *vocabulary)), *asked],
        )
        self._reader = self._reader_with(self.speller)

    def _reader_with(self, speller: Speller) -> QueryReader:
        return QueryReader(
            self.analyzer,
            speller,
            self._terms,
            self.lexicon,
            self._unknown_idf,
            self.params.filler_weight,
        )

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

    def _sparse_of(self, term: str, info: Term) -> Sparse:
        # Made on a term's first question and kept: bounded by the document's vocabulary.
        found = self._sparse.get(term)
        if found is None:
            found = Sparse(nonzero(info.scores), nonzero(info.presence), nonzero(info.sentences))
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

    def rank(
        self,
        question: str,
        limit: int | None = None,
        topics_of: Callable[[Sequence[str]], Mapping[str, frozenset[str]]] | None = None,
        keep: Section | None = None,
    ) -> Ranking:
        """Sections sharing a term with the question, by BM25 score; ties keep document order.
        With `limit`, the best `limit` only, and then the hit of section `keep` (the contact
        section the assistant may add, one of `sections` itself) if it is a hit further down.
        `topics_of` names further practices the question is about, from the stems of its words
        (the assistant's intents: a visitor who wants to delete their data asks about rights),
        each with the stems that said so ("complain"): the sections most about that practice
        answer those words even where they do not use them."""
        terms, unknown, every = self._reader.read(question)
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
            if not self._covered_list[i] and names[i] not in self.practices.optional
        )
        uncovered_asked = tuple(names[i] for i in sorted(asked) if names[i] in uncovered)
        named = tuple(names[i] for i in topics)
        # The words of the form a question is put in ("my son", "year old") are answered by the
        # section most about what the form asks, like the words of an intent.
        said = self._intent_evidence(terms, intent_cues)
        for term, strength in self._intent_evidence(
            terms, {names[i]: words for i, words in forms.items()}
        ).items():
            before = said.get(term)
            said[term] = strength if before is None else _maximum(before, strength)
        read = (tuple(terms), tuple(unknown), uncovered, tuple(every), named, uncovered_asked)
        if not self.sections or not (known or asked or said):
            return _ranking(read, [])
        if not (known or said):
            # A question put only in words that carry no term ("who are you", "where are you
            # based"): the practice its form asks about is all the evidence there is, and the
            # sections that speak of it most are the candidates, at half the confidence at most.
            topical_vector = (
                self._practice[topics].sum(axis=0) if topics else np.zeros(len(self.sections))
            )
            found = rank_by_practice(self.sections, topical_vector, None)
            if limit is not None:
                found = found[:limit] + [h for h in found[limit:] if h.section is keep][:1]
            return _ranking(read, found)
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
            for i, v in enumerate(strength):
                if v:
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
        # Each term's (section, presence) pairs, every presence above zero.
        presence: dict[str, tuple[tuple[int, float], ...]] = {
            query_term.term: entry.presence for query_term, entry in sparse
        }
        for term, strength in said.items():
            own = presence.get(term.term)
            evidence = {i: v for i, v in enumerate(strength) if v}
            if own is None:
                presence[term.term] = tuple(evidence.items())
            else:
                mine = dict(own)
                presence[term.term] = tuple(
                    (i, max(mine.get(i, 0.0), evidence.get(i, 0.0))) for i in mine.keys() | evidence
                )
        weights = {t.term: t.weight for t in terms}
        covered: dict[int, float] = {}
        matched_in: dict[int, list[str]] = {}  # the terms each section has
        for name, pairs in presence.items():
            w = weights[name]
            for i, v in pairs:
                covered[i] = covered.get(i, 0.0) + w * v
                has = matched_in.get(i)
                if has is None:
                    matched_in[i] = [name]
                else:
                    has.append(name)
        candidates = [
            i
            for i, c in covered.items()
            if c / total_idf > 0.0 and not (i in self._silent and not topical[i])
        ]

        # Best first, ties in document order: (-score, position) is unique per section.
        ordered = [(-scores[i], i) for i in candidates]
        if limit is not None and limit < len(candidates):
            # The first `limit` of the sort, without making hits of the rest (a sort of a few
            # dozen pairs, compiled, beats heapq.nsmallest, which is Python).
            kept = [i for _, i in sorted(ordered)[:limit]]
            if keep is not None:
                at = keep.position
                if at < n and self.sections[at] is keep and at in candidates and at not in kept:
                    kept.append(at)
        else:
            kept = [i for _, i in sorted(ordered)]
        hits = []
        for i in kept:
            hit = Hit(
                self.sections[i],
                scores[i],
                covered[i] / total_idf,
                frozenset(matched_in[i]),
                self._matched_example(i, per_sentence, best_sentence[i]),
            )
            hits.append(hit)
        return _ranking(read, hits)

    def _intent_evidence(
        self, terms: list[QueryTerm], intent_cues: Mapping[str, frozenset[str]]
    ) -> dict[QueryTerm, list[float]]:
        """For each question term that said what the visitor wants ("complain", "talk to a
        person"), how strongly each section answers it: by how much it is about the practice
        of that intent (the contact section answers "complain"), from 0 to 1."""
        names = self.practices.names
        said: dict[QueryTerm, list[float]] = {}
        top = self.params.k1 + 1
        for practice, stems in intent_cues.items():
            if practice not in names or not stems:
                continue
            strength = [v / top for v in self._practice_lists[names.index(practice)]]
            for term in terms:
                # A word the policy uses is its own evidence; only the words it never uses
                # ("complain", "human") are answered by the practice.
                if term.term in stems and term.term not in self._terms:
                    own = said.get(term)
                    said[term] = strength if own is None else _maximum(own, strength)
        return said


def _maximum(a: list[float], b: list[float]) -> list[float]:
    """The larger of each pair of entries (numpy's maximum, without NaNs)."""
    return [x if x >= y else y for x, y in zip(a, b, strict=True)]


# What a question's reading gives every Ranking of it: its terms, unknown words, uncovered
# practices, stems, practices asked about and uncovered ones asked about.
_Read = tuple[
    tuple[QueryTerm, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
]


def _ranking(read: _Read, hits: list[Hit]) -> Ranking:
    terms, unknown, uncovered, every, named, uncovered_asked = read
    return Ranking(terms, tuple(hits), unknown, uncovered, every, named, uncovered_asked)
