"""The term tables of one document the Ranker reads questions off: rank-bm25's score of every
term in every section (idf kept positive), where each term occurs, and the synonyms' shares.
How much each section is about each practice is index/practice_table.py's."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rank_bm25 import BM25Okapi

from index.params import Params as Params
from index.tokens import Analyzer

Vector = NDArray[np.float64]


# Its own __init__, which compiles (index/compiled.py).
@dataclass(slots=True, init=False, unsafe_hash=True)
class Term:
    """One index term's BM25 scores and presence per section, idf, and presence per sentence."""

    scores: Vector
    presence: Vector
    idf: float
    sentences: Vector

    def __init__(self, scores: Vector, presence: Vector, idf: float, sentences: Vector) -> None:
        self.scores = scores
        self.presence = presence
        self.idf = idf
        self.sentences = sentences


@dataclass(slots=True, init=False, unsafe_hash=True)
class Sparse:
    """A term's vectors as (index, value) pairs of their non-zero entries: a question's
    scores are summed over the few sections and sentences that have the term, in plain
    Python (numpy's call overhead outweighs its speed on vectors this short). Adding the
    zeros skipped changes no float, so the sums are numpy's to the last bit."""

    scores: tuple[tuple[int, float], ...]
    presence: tuple[tuple[int, float], ...]
    sentences: tuple[tuple[int, float], ...]

    def __init__(
        self,
        scores: tuple[tuple[int, float], ...],
        presence: tuple[tuple[int, float], ...],
        sentences: tuple[tuple[int, float], ...],
    ) -> None:
        self.scores = scores
        self.presence = presence
        self.sentences = sentences


def nonzero(vector: Vector) -> tuple[tuple[int, float], ...]:
    """The (index, value) pairs of a vector's non-zero entries."""
    return tuple((i, v) for i, v in enumerate(vector.tolist()) if v)


def idf(n_docs: int, doc_freq: int) -> float:
    """Lucene's idf of a term found in `doc_freq` of `n_docs` sections."""
    # rank-bm25's BM25Okapi idf is zero or negative for a term in over half the sections of a
    # small corpus (then floored at epsilon * mean idf); Lucene's form is always positive.
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def term_scores(
    docs: list[list[str]], params: Params, found: dict[str, set[int]] | None = None
) -> tuple[list[str], Vector]:
    """rank-bm25's scores of every term over the sections, idf kept positive: the terms, in the
    order they first occur, and a terms x sections matrix of their scores.

    rank-bm25 counts the terms and lengths; the scores are its `get_scores` formula for every
    term at once, element for element the same floats as one call per term (a test holds
    them equal), where a call per term costs a policy a few milliseconds. `found` is
    `doc_sets(docs)`, when the caller has it."""
    if not any(docs):
        return [], np.zeros((0, len(docs)))
    bm25 = BM25Okapi(docs, k1=params.k1, b=params.b)
    found = doc_sets(docs) if found is None else found
    bm25.idf = {term: idf(bm25.corpus_size, len(f)) for term, f in found.items()}
    terms = list(bm25.idf)
    row = {term: k for k, term in enumerate(terms)}
    rows: list[int] = []
    columns: list[int] = []
    counts: list[int] = []
    for column, frequencies in enumerate(bm25.doc_freqs):
        for term, count in frequencies.items():
            rows.append(row[term])
            columns.append(column)
            counts.append(count)
    q_freq = np.zeros((len(terms), bm25.corpus_size), dtype=np.int64)
    q_freq[_indices(rows), _indices(columns)] = _indices(counts)
    doc_len = np.array(bm25.doc_len)
    k1, b = bm25.k1, bm25.b
    weights = np.array([bm25.idf[term] for term in terms])[:, None]
    length_norm = k1 * (1 - b + b * doc_len / bm25.avgdl)
    scores: Vector = weights * (q_freq * (k1 + 1) / (q_freq + length_norm))
    return terms, scores


def doc_sets(docs: list[list[str]]) -> dict[str, set[int]]:
    """For each term, the indices of the documents that have it."""
    found: dict[str, set[int]] = {}
    for i, doc in enumerate(docs):
        for term in doc:
            found.setdefault(term, set()).add(i)
    return found


@dataclass(frozen=True)
class TermTable:
    """Every term of a document's sections, and the sentence units its evidence is read from:
    per section its heading, its sentences and its example questions, in that order."""

    terms: dict[str, Term]
    offsets: list[int]  # each section's first unit
    units: int
    unit_section: list[int]  # the section of each unit
    example_at: dict[int, tuple[int, str]]  # an example question's unit: (section, question)


def term_table(
    body: list[list[str]],
    heads: list[list[str]],
    sentence_terms: Sequence[Sequence[list[str]]],
    examples: Sequence[Sequence[str]],
    analyzer: Analyzer,
    params: Params,
) -> TermTable:
    """The term table of sections with these body and heading terms, the terms of each of
    their sentences (analysed once by the caller, who keeps them for the snippets) and their
    examples."""
    n = len(body)
    # Heading words count `heading_weight` times, in the one rank-bm25 index: a single idf
    # and a single saturation per term (summing two fields' BM25 would saturate twice).
    docs = [b + h * params.heading_weight for b, h in zip(body, heads, strict=True)]
    # Sentences, for the best single sentence of each section (a question is often
    # answered by one sentence, and words spread over a long section match less). The
    # heading counts as one: it states what the section is about.
    unit_terms: list[list[str]] = []
    offsets = []
    example_at: dict[int, tuple[int, str]] = {}
    for i, (head, said) in enumerate(zip(heads, sentence_terms, strict=True)):
        offsets.append(len(unit_terms))
        unit_terms.append(head)
        unit_terms.extend(said)
        for example in examples[i]:
            example_at[len(unit_terms)] = (i, example)
            unit_terms.append(analyzer.terms(example))
    units = len(unit_terms)
    unit_section = [
        i
        for i, (a, b) in enumerate(zip(offsets, [*offsets[1:], units], strict=True))
        for _ in range(b - a)
    ]
    in_sentences = doc_sets(unit_terms)
    m = len(unit_terms)
    with_examples = doc_sets(docs)
    # The policy's terms first, in the order rank-bm25 scores them (doc_sets keeps first
    # occurrence), scored before the examples' sections are added to their sets.
    scored, scores = term_scores(docs, params, with_examples)
    # A term of an example question is present in its section (it explains the question)
    # but adds nothing to the section's BM25 text.
    if example_at:
        for term, found in in_sentences.items():
            for unit in found:
                if unit in example_at:
                    with_examples.setdefault(term, set()).add(example_at[unit][0])
    # One matrix of each kind, a row per term: the policy's terms first, then the terms only
    # examples have.
    names = list(with_examples)
    assert names[: len(scored)] == scored
    scores = np.vstack([scores, np.zeros((len(names) - len(scored), n))])
    presence = np.zeros((len(names), n))
    presence[_cells(names, with_examples)] = 1.0
    sentence_presence = np.zeros((len(names), m))
    sentence_presence[_cells(names, in_sentences)] = 1.0
    direct = {
        term: Term(scores[k], presence[k], idf(n, len(with_examples[term])), sentence_presence[k])
        for k, term in enumerate(names)
    }
    return TermTable(
        _with_synonyms(direct, analyzer, params, (scores, presence, sentence_presence)),
        offsets,
        units,
        unit_section,
        example_at,
    )


def _cells(
    names: list[str], found: dict[str, set[int]]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The (row, column) indices of a terms x places matrix where each term is found."""
    rows: list[int] = []
    columns: list[int] = []
    for k, term in enumerate(names):
        places = found.get(term, ())
        rows.extend([k] * len(places))
        columns.extend(places)
    return _indices(rows), _indices(columns)


def _indices(values: list[int]) -> NDArray[np.intp]:
    """A list of indices as an array (fromiter: a third of what converting the list costs)."""
    return np.fromiter(values, dtype=np.intp, count=len(values))


def _with_synonyms(
    direct: dict[str, Term],
    analyzer: Analyzer,
    params: Params,
    matrices: tuple[Vector, Vector, Vector],
) -> dict[str, Term]:
    """Each term of a synonym group also scores, at `synonym_weight`, where its relatives do.

    `matrices` are the scores, presence and sentence presence of the `direct` terms, a row each
    in their order. A group's vectors are the maximum of its members' rows, and a term's the
    maximum of its own and its groups': each taken for all groups or terms at once (a call per
    group and term cost a policy half a millisecond). A maximum is exact in any order, so the
    floats are those of one group at a time."""
    terms = dict(direct)
    w = params.synonym_weight
    row = {term: k for k, term in enumerate(direct)}
    n = len(row)
    members: list[list[int]] = []  # the member rows of each group that has members
    idfs: list[float] = []
    touched: dict[str, list[int]] = {}  # each term of such a group: its row, then n + its groups
    for group in analyzer.groups:
        rows = [row[t] for t in group if t in row]
        if not rows:
            continue
        for term in group:
            found = touched.get(term)
            if found is None:
                touched[term] = [row[term], n + len(members)] if term in row else [n + len(members)]
            else:
                found.append(n + len(members))
        members.append(rows)
        idfs.append(max(direct[t].idf for t in group if t in direct))
    if not members:
        return terms
    # A term of one group that no section has shares the group's vectors; the others take the
    # maximum of their own row and their groups'.
    several = [found for found in touched.values() if len(found) > 1]
    related: list[Vector] = []
    merged: list[Vector] = []
    for matrix in matrices:
        by_group = w * _row_maxima(matrix, members)
        related.append(by_group)
        merged.append(_row_maxima(np.vstack([matrix, by_group]), several) if several else by_group)
    k = 0
    for term, found in touched.items():
        if len(found) == 1:
            g = found[0] - n
            terms[term] = Term(related[0][g], related[1][g], idfs[g], related[2][g])
            continue
        own = direct.get(term)
        # A term no section has takes the idf of its first group (as it did one at a time).
        weight = own.idf if own is not None else idfs[found[0] - n]
        terms[term] = Term(merged[0][k], merged[1][k], weight, merged[2][k])
        k += 1
    return terms


def _row_maxima(matrix: Vector, rows: list[list[int]]) -> Vector:
    """For each list of row indices, the elementwise maximum of those rows of `matrix`: one
    gather into a lists x longest x columns block, the short lists padded with a row of -inf
    (which no maximum takes), and one reduction."""
    width = max(len(r) for r in rows)
    pad = matrix.shape[0]
    index = np.array([r + [pad] * (width - len(r)) for r in rows], dtype=np.intp)
    pool = np.vstack([matrix, np.full((1, matrix.shape[1]), -np.inf)])
    maxima: Vector = pool[index].max(axis=1)
    return maxima
