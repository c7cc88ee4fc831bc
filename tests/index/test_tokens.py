"""The analyzer: normalisation, stopwords, Snowball stems and privacy-vocabulary phrases."""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path

from index.tokens import (
    Analyzer,
    default_analyzer,
    normalise,
    split_words,
    text_words,
    word_spans,
    word_texts,
)
from qa.settings import bundled_policy

DATA = Path(__file__).parents[1] / "data"


def _vocabulary_groups() -> list[list[str]]:
    raw = resources.files("index").joinpath("data", "synonyms.txt").read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in raw.splitlines())
    return [[e.strip() for e in line.split(",") if e.strip()] for line in lines if line]


def test_normalise_applies_nfkc_and_casefold() -> None:
    assert normalise("ＤＡＴＡ") == "data"  # full-width letters
    assert normalise("ﬁle") == "file"  # the fi ligature
    assert normalise("Straße") == "strasse"  # casefold, not lower()
    assert normalise("It’s") == "it's"


def test_split_words_gives_offsets_into_the_original_text() -> None:
    text = "Do you KEEP ＤＡＴＡ?"
    words = split_words(text)
    assert [w.text for w in words] == ["do", "you", "keep", "data"]
    assert [text[w.start : w.end] for w in words] == ["Do", "you", "KEEP", "ＤＡＴＡ"]


def _ascii_texts() -> list[str]:
    """Every line of our policies, and random ASCII made of the characters a word's edges are
    decided by (apostrophes, underscores, digits, capitals, tabs, punctuation)."""
    lines = [
        line
        for path in [bundled_policy(), *sorted(DATA.glob("**/*.md"))]
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    rng = random.Random(11)
    alphabet = "aB'_ 1\t\n.,-'!Zz9"
    made = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(5000)]
    edges = ["don't users' 'quoted' a''b _x_ 9am", "'", "''", " ' ", "a'", "'a", "rock'n'roll"]
    return [t for t in [*lines, *made, *edges] if t.isascii()]


def test_ascii_text_is_split_into_the_words_split_words_finds() -> None:
    # The ASCII shortcuts (no regex, no offsets searched for) must find the general reader's
    # words, at the same offsets.
    for text in _ascii_texts():
        general = split_words(text)
        assert word_spans(text) == [(w.start, w.end, w.text) for w in general], text
        assert word_texts(text) == text_words(text) == [w.text for w in general], text


def test_stopwords_are_dropped_and_content_words_kept() -> None:
    analyzer = Analyzer(["the", "of", "is"], [])
    assert analyzer.terms("The retention of records is short") == ["retent", "record", "short"]
    assert analyzer.is_stopword("the") and not analyzer.is_stopword("records")


def test_bundled_stopwords_drop_function_words() -> None:
    analyzer = default_analyzer()
    assert analyzer.terms("what is the retention of the records") == ["retent", "record"]


def test_snowball_stemming_conflates_word_forms() -> None:
    analyzer = Analyzer([], [])
    assert {analyzer.stem(w) for w in ("delete", "deleted", "deleting", "deletes")} == {"delet"}
    assert analyzer.terms("Retaining retained") == [analyzer.stem("retain")] * 2


def test_stopwords_and_stems_see_normalised_text() -> None:
    analyzer = Analyzer(["the"], [])
    assert analyzer.terms("THE ＤＥＬＥＴＩＮＧ") == ["delet"]


def test_a_vocabulary_phrase_becomes_one_extra_term() -> None:
    analyzer = Analyzer(["of", "the"], [["opt out", "unsubscribe"], ["third party", "vendor"]])
    assert analyzer.terms("Opt out of the sale") == ["opt", "out", "sale", "opt_out"]
    assert analyzer.terms("Third-party vendors") == ["third", "parti", "vendor", "third_parti"]
    assert "opt_out" not in analyzer.terms("out opt")


def test_every_multi_word_entry_of_the_bundled_vocabulary_is_a_phrase_term() -> None:
    analyzer = default_analyzer()
    phrases = 0
    for group in _vocabulary_groups():
        for entry in group:
            stems = analyzer.content_stems(entry)
            if len(stems) > 1:
                phrases += 1
                assert "_".join(stems) in analyzer.terms(entry), entry
    assert phrases > 0


def test_words_of_one_vocabulary_group_are_related_terms() -> None:
    analyzer = Analyzer([], [["delete", "erase", "remove"], ["keep", "retain"]])
    assert analyzer.related_terms("eras") == frozenset({"delet", "eras", "remov"})
    assert analyzer.related_terms("retain") == frozenset({"keep", "retain"})
    assert analyzer.related_terms("cooki") == frozenset({"cooki"})


def test_bundled_vocabulary_relates_delete_erase_remove_and_keep_retain() -> None:
    analyzer = default_analyzer()
    delete = analyzer.related_terms(analyzer.stem("delete"))
    assert {analyzer.stem("erase"), analyzer.stem("remove")} <= delete
    keep = analyzer.related_terms(analyzer.stem("keep"))
    assert analyzer.stem("retain") in keep
    for group in _vocabulary_groups():
        terms = {"_".join(stems) for e in group if (stems := analyzer.content_stems(e))}
        for term in terms:
            assert terms <= analyzer.related_terms(term), group
