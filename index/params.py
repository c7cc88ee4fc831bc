"""The ranking parameters: a plain dataclass, so that reading them (the `eval` command's
options) loads no ranker."""

from __future__ import annotations

from dataclasses import dataclass


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
