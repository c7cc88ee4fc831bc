"""The practice layer: cues matched word for word, weighed by their rarity in the policy."""

from __future__ import annotations

import numpy as np

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
