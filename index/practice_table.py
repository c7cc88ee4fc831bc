"""How much each section of one document is about each privacy practice: the BM25-saturated
counts of the practice's cues, weighed by their idf in the document (index/practices.py has the
cues; index/bm25.py the idf)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index.bm25 import Vector, idf
from index.params import Params
from index.practices import Practices

MIN_CUES = 2  # cues of a core practice in one section for the policy to speak of it


def _per_practice(practices: int, of_cue: NDArray[np.intp], values: Vector) -> Vector:
    """Per practice, the sum of its cues' rows of `values` (cues x sections, none negative;
    `of_cue`: each row's practice), added cue by cue in cue order. The same floats on every
    machine: a matrix product with the membership matrix gave sums whose last bits depend on
    how many threads BLAS splits it over. Only rows with a count are added: adding a zero
    changes no sum."""
    found = np.zeros((practices, values.shape[1]))
    used = np.flatnonzero(values.any(axis=1))
    np.add.at(found, of_cue[used], values[used])
    return found


@dataclass(frozen=True)
class PracticeTable:
    """Per practice and section, how much the section is about the practice, and which
    practices the document speaks of and names in a heading."""

    scores: Vector  # practices x sections, the section most about each practice at k1 + 1
    covered: NDArray[np.bool_]  # per practice: the document speaks of it
    titled: NDArray[np.bool_]  # practices x sections: the heading names it


def practice_table(
    practices: Practices, params: Params, body: list[list[str]], heads: list[list[str]]
) -> PracticeTable:
    """Per practice and section (from the stems of all its words, body and heading), how
    much the section is about the practice: the
    BM25-saturated counts of the practice's cues, each weighted by its idf in this
    document, scaled so that the section most about the practice scores k1 + 1."""
    p = params
    cues = practices
    # Cues x sections, of the cues this policy has (a few dozen of the hundreds, in cue
    # order): a cue found nowhere adds only zeros to every sum below.
    found_in_body = cues.cue_matrix(body)
    found_in_head = cues.cue_matrix(heads)
    used = np.flatnonzero((found_in_body + found_in_head).any(axis=0))
    of_cue = np.asarray(cues.cue_practice, dtype=np.intp)[used]
    body_counts = found_in_body[:, used].T
    head_counts = found_in_head[:, used].T
    practice_count = len(cues.names)
    # A practice a policy speaks of, rather than touches in passing ("how we use, retain
    # and protect your information" is not a word on how long data is kept): named in a
    # heading, or with MIN_CUES cues in one section. The core practices' cues are common
    # words (retain, storage, access); a topic that many policies leave out (selling data,
    # children, a merger) has cues specific enough that one mention is the answer.
    in_head = _per_practice(practice_count, of_cue, (head_counts > 0).astype(np.float64))
    in_body = _per_practice(practice_count, of_cue, body_counts)
    needed = np.array([MIN_CUES if n in cues.core else 1 for n in cues.names])
    covered = (in_head > 0) | (in_body >= needed[:, None])
    titled = in_head > 0
    counts = body_counts + p.heading_weight * head_counts
    lengths = np.array(
        [len(b) + p.heading_weight * len(h) for b, h in zip(body, heads, strict=True)]
    )
    norm = p.k1 * (1 - p.b + p.b * lengths / max(float(lengths.mean()), 1.0))
    # A cue found in most sections of this policy ("use", "information") tells little
    # about which section is about the practice: weigh each cue by its idf here.
    weights = np.array([idf(len(body), int(f)) for f in (counts > 0).sum(axis=1)])
    scores = _per_practice(
        practice_count, of_cue, weights[:, None] * counts * (p.k1 + 1) / (counts + norm)
    )
    # Scaled per practice, so that practice_weight means the same in a terse policy and a
    # wordy one: the section most about sharing is worth the same in both.
    top = scores.max(axis=1, keepdims=True)
    scaled: Vector = np.divide(scores * (p.k1 + 1), top, out=np.zeros_like(scores), where=top > 0)
    return PracticeTable(scaled, np.asarray(covered.any(axis=1), dtype=bool), titled)
