"""The practice layer: cues matched word for word, weighed by their rarity in the policy."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from index.practices import Practices, default_practices, stem_words
from index.ranker import Params, Ranker
from index.tokens import default_analyzer
from tests.index.test_ranker import sections

ANALYZER = default_analyzer()


def test_a_phrase_cue_needs_every_word_stopwords_included() -> None:
    practices = Practices({"sharing": ["other users"], "retention": ["as long as"]}, ANALYZER)
    assert practices.counts(stem_words(ANALYZER, "Users may edit posts.")) == [0, 0]
    assert practices.counts(stem_words(ANALYZER, "Posts are seen by other users.")) == [1, 0]
    assert practices.counts(stem_words(ANALYZER, "How long is too long?")) == [0, 0]
    assert practices.counts(stem_words(ANALYZER, "We keep it as long as needed.")) == [0, 1]


def test_cues_that_stem_alike_count_once() -> None:
    practices = Practices({"rights": ["delete", "deletion"]}, ANALYZER)
    assert practices.counts(stem_words(ANALYZER, "Ask for deletion.")) == [1]


def test_a_cue_in_every_section_says_less_than_a_rare_one() -> None:
    practices = Practices({"use": ["use", "purpose"]}, ANALYZER)
    corpus = sections(
        ("One", "We use records. We use them daily and use them well."),
        ("Two", "We use records for one purpose."),
        ("Three", "We use cookies."),
    )
    ranker = Ranker(corpus, ANALYZER, practices=practices)
    assert ranker.best_for_practice("use") == corpus[1]


def test_the_section_most_about_a_practice_scores_k1_plus_1_in_any_policy() -> None:
    params = Params()
    for corpus in (
        sections(("A", "We share data with partners."), ("B", "Cookies.")),
        sections(*((f"S{i}", "We keep data. " * (i + 1) + "We share it.") for i in range(6))),
    ):
        ranker = Ranker(corpus, ANALYZER, params)
        row = ranker._practice[ranker.practices.names.index("sharing")]
        assert np.isclose(row.max(), params.k1 + 1)


def test_no_bundled_cue_is_a_word_that_stems_like_a_common_unrelated_one() -> None:
    # Snowball stems "personalize" as "person" (so "personal" matched the use practice),
    # "settings" as "set", "profiling" as "profile", "customize" as "custom" (customer).
    practices = default_practices()
    for text in ("personal", "set", "profile", "customer", "government", "authorized"):
        assert not any(practices.counts(stem_words(ANALYZER, text))), text


# The practice table of an 80-section policy dense with cues, as a digest of every float.
_TABLE_DIGEST = """
import hashlib, random, tomllib
from importlib import resources
from index.policy import read_policy
from index.ranker import Ranker
from index.tokens import default_analyzer
table = resources.files("index").joinpath("data", "practices.toml").read_text()
cues = [c for spec in tomllib.loads(table).values() for c in spec["cues"]]
rng = random.Random(7)
parts = [f"## Part {i}\\n\\n" + ". ".join(rng.sample(cues, 60)) + ".\\n\\n" for i in range(80)]
text = "".join(parts)
ranker = Ranker(read_policy(text, "p").sections, default_analyzer())
print(hashlib.sha256(repr(ranker._practice.tolist()).encode()).hexdigest())
"""


@pytest.mark.slow  # starts a Python process
def test_the_practice_table_is_the_same_however_many_threads_blas_has() -> None:
    # A matrix product's sums depend on how BLAS splits it over threads (its last bits
    # differed between one thread and two); the table is summed in an order of its own.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    one = subprocess.run(
        [sys.executable, "-c", _TABLE_DIGEST], env=env, capture_output=True, text=True, check=True
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    two = subprocess.run(
        [sys.executable, "-c", _TABLE_DIGEST], env=env, capture_output=True, text=True, check=True
    )
    assert one.stdout.strip() == two.stdout.strip() != ""
