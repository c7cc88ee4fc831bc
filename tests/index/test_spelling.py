"""Misspelled words are corrected against the index's own vocabulary; short words are not."""

from __future__ import annotations

import pytest

from index.policy import read_policy
from index.ranker import Ranker
from index.spelling import Speller, allowed_distance, is_swap
from index.tokens import Analyzer

VOCABULARY = ["retention", "cookies", "data", "delete", "records", "privacy", "contact", "retain"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("retension", "retention"),  # one substitution
        ("reteniton", "retention"),  # an adjacent swap counts as one edit
        ("cokies", "cookies"),  # one letter missing
        ("privasy", "privacy"),
        ("contcat", "contact"),
        ("recrods", "records"),
        ("dtaa", "data"),  # a short word: an adjacent swap only
        ("infomation", "information"),
    ],
)
def test_a_misspelled_word_is_corrected_to_the_vocabulary_word(typed: str, meant: str) -> None:
    assert Speller([*VOCABULARY, "information"]).correct(typed) == meant


def test_a_known_word_is_returned_unchanged() -> None:
    assert Speller(VOCABULARY).correct("data") == "data"


@pytest.mark.parametrize("typed", ["dta", "dat", "dxta", "xyzzyq", "2024"])
def test_short_words_numbers_and_far_off_words_are_not_corrected(typed: str) -> None:
    assert Speller(VOCABULARY).correct(typed) is None


def test_the_more_frequent_word_wins_among_equally_close_ones() -> None:
    speller = Speller(["ships", "shops", "shops", "shops"])
    assert speller.correct("shaps") == "shops"


def test_allowed_distance_grows_with_word_length() -> None:
    assert [allowed_distance(w) for w in ("data", "cookie", "retention")] == [1, 1, 2]


def test_a_swap_is_two_adjacent_letters_exchanged_and_nothing_else() -> None:
    assert is_swap("yuo", "you")
    assert is_swap("lnog", "long")
    assert not is_swap("dxta", "data")  # a substitution
    assert not is_swap("data", "data")


def test_a_common_english_word_is_not_corrected_to_a_policy_word() -> None:
    speller = Speller(["complaint"], english=frozenset({"compliant"}))
    assert speller.correct("compliant") is None
    assert speller.correct("complaimt") == "complaint"


def test_two_typos_in_one_question_are_both_corrected() -> None:
    policy = read_policy("## Retention\nWe keep your information for a long time.\n", "p")
    ranker = Ranker(policy.sections, Analyzer(["we", "you", "your", "how", "do", "for", "a"], []))
    ranking = ranker.rank("how lnog do yuo keep my infomation")
    assert ("lnog", "long") in [(t.typed, t.word) for t in ranking.terms]
    assert ("infomation", "information") in [(t.typed, t.word) for t in ranking.terms]
    assert [h.section.id for h in ranking.hits] == ["retention"]


def test_ranker_corrects_a_typo_to_a_word_of_the_policy() -> None:
    policy = read_policy("## Retention\nWe retain records.\n## Cookies\nWe set cookies.\n", "p")
    ranker = Ranker(policy.sections, Analyzer(["we"], []))
    ranking = ranker.rank("do you retian recrods")
    assert [(t.typed, t.word) for t in ranking.terms if t.typed != t.word] == [
        ("retian", "retain"),
        ("recrods", "records"),
    ]
    assert [h.section.id for h in ranking.hits] == ["retention"]
    assert ranking.unknown == ("do", "you")
