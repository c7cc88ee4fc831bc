"""The ranker: BM25 order, a match decided by shared terms, and rank-bm25's traps guarded."""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
from typing import Any

import numpy as np
import pytest
import rank_bm25
from rank_bm25 import BM25Okapi, BM25Plus

from index.library import load_library
from index.policy import Section
from index.ranker import Ranker
from index.tokens import Analyzer, default_analyzer
from qa.answering.assistant import Assistant
from qa.settings import bundled_policy
from tests.conftest import DATA

PLAIN = Analyzer(["we", "a", "for", "the", "of", "my", "do", "you", "here", "to"], [])


def sections(*pairs: tuple[str, str]) -> tuple[Section, ...]:
    """Level-two sections from (heading, body) pairs, in document order."""
    return tuple(
        Section(
            id=heading.casefold().replace(" ", "-"),
            document="t",
            heading=heading,
            path=(heading,),
            level=2,
            markdown=body,
            position=i,
        )
        for i, (heading, body) in enumerate(pairs)
    )


def ids(ranker: Ranker, question: str) -> list[str]:
    """Ids of the sections returned for the question, best first."""
    return [hit.section.id for hit in ranker.rank(question).hits]


def test_empty_corpus_answers_no_hits_instead_of_raising() -> None:
    with pytest.raises(ZeroDivisionError):  # the trap: rank-bm25 divides by the corpus size
        BM25Okapi([])
    ranker = Ranker((), PLAIN)
    ranking = ranker.rank("how long do you keep my data")
    assert ranking.hits == ()
    assert ranker.vocabulary() == set()


def test_sections_without_any_indexable_words_answer_no_hits() -> None:
    ranker = Ranker(sections(("The", "we a the"), ("Of", "")), PLAIN)
    assert ranker.rank("the data").hits == ()


def test_term_in_over_half_of_a_small_corpus_still_scores_positive() -> None:
    corpus = sections(
        ("One", "Records kept."),
        ("Two", "Records shared."),
        ("Three", "Records kept shared."),
    )
    docs = [PLAIN.terms(s.markdown) for s in corpus]
    okapi = BM25Okapi(docs).get_scores([PLAIN.stem("kept")])
    assert okapi[0] <= 0 and okapi[2] <= 0  # the trap: idf is negative in over half the sections
    ranking = Ranker(corpus, PLAIN).rank("kept")
    assert [h.section.id for h in ranking.hits] == ["one", "three"]
    assert all(h.score > 0 for h in ranking.hits)
    everywhere = Ranker(corpus, PLAIN).rank("records")
    assert len(everywhere.hits) == 3 and all(h.score > 0 for h in everywhere.hits)


def test_sections_sharing_no_query_term_are_never_returned() -> None:
    corpus = sections(
        ("Cookies", "Our shop sets cookies."),
        ("Retention", "Records are deleted after six years."),
        ("Couriers", "Couriers deliver parcels."),
    )
    plus = BM25Plus([PLAIN.terms(s.markdown) for s in corpus]).get_scores([PLAIN.stem("cookies")])
    assert plus[1] > 0  # the trap: BM25Plus scores a section without the term
    ranker = Ranker(corpus, PLAIN)
    assert ids(ranker, "do you set cookies") == ["cookies"]
    assert ids(ranker, "parcels and cookies") == ["cookies", "couriers"]
    assert ids(ranker, "weather forecast in lisbon") == []
    for hit in ranker.rank("records cookies").hits:
        assert hit.matched and hit.coverage > 0


def test_sections_sharing_no_query_term_are_never_returned_on_a_real_policy() -> None:
    policy = load_library(DATA / "widgets-policy.md").default
    ranker = Ranker(policy.sections, default_analyzer())
    for question in ("please erase everything", "tell me about your stuff", "cookies"):
        for hit in ranker.rank(question).hits:
            assert hit.matched and hit.coverage > 0, (question, hit.section.id)


def test_a_question_put_only_in_stopwords_is_ranked_by_the_practice_it_asks_about() -> None:
    policy = load_library(DATA / "widgets-policy.md").default
    ranking = Ranker(policy.sections, default_analyzer()).rank("where are you based?")
    assert ranking.topics == ("address",)
    assert ranking.hits[0].section.id == "contact-us"


def test_ties_come_back_in_document_order() -> None:
    corpus = sections(*((name, "Records kept briefly.") for name in ("Alpha", "Beta", "Gamma")))
    ranking = Ranker(corpus, PLAIN).rank("records")
    assert [h.section.id for h in ranking.hits] == ["alpha", "beta", "gamma"]
    assert len({h.score for h in ranking.hits}) == 1
    assert [h.section.id for h in Ranker(corpus, PLAIN).rank("records", limit=2).hits] == [
        "alpha",
        "beta",
    ]


def test_rank_bm25_is_never_given_a_tokenizer_so_no_process_pool_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []

    def no_pool(*args: Any, **kwargs: Any) -> Any:
        started.append("pool")
        raise AssertionError("a multiprocessing pool was started")

    # rank-bm25 starts Pool(cpu_count()) when given tokenizer=; it imported the name itself.
    monkeypatch.setattr(rank_bm25, "Pool", no_pool)
    monkeypatch.setattr(multiprocessing, "Pool", no_pool)
    monkeypatch.setattr(multiprocessing.pool.Pool, "__init__", no_pool)
    assistant = Assistant(load_library(DATA / "library"))
    Assistant(load_library(bundled_policy())).answer("how long do you keep my data")
    assistant.answer("cookies")
    assert started == []


def test_heading_words_weigh_more_than_body_words() -> None:
    corpus = sections(
        ("Parcels", "Widgets shipped quickly."),
        ("Widgets", "Parcels shipped quickly."),
    )
    hits = Ranker(corpus, PLAIN).rank("widgets").hits
    assert [h.section.id for h in hits] == ["widgets", "parcels"]
    assert hits[0].score > hits[1].score


def test_more_occurrences_and_more_query_terms_rank_higher() -> None:
    # Words outside the privacy vocabulary, so that only BM25 decides.
    corpus = sections(
        ("A", "Widgets are blue."),
        ("B", "Widgets, widgets and more widgets fill the boxes."),
        ("C", "Widgets fill boxes."),
    )
    ranker = Ranker(corpus, PLAIN)
    assert ids(ranker, "widgets")[0] == "b"
    hits = ranker.rank("widgets boxes").hits
    assert {h.section.id for h in hits[:2]} == {"b", "c"}
    assert hits[-1].section.id == "a" and hits[-1].coverage < hits[0].coverage


def test_a_synonym_matches_below_the_word_itself() -> None:
    analyzer = Analyzer(["we", "my"], [["delete", "erase", "remove"]])
    corpus = sections(
        ("Logs", "We delete logs monthly."),
        ("Archive", "We erase archives monthly."),
        ("Cookies", "We set cookies."),
    )
    hits = Ranker(corpus, analyzer).rank("erase my data").hits
    assert [h.section.id for h in hits] == ["archive", "logs"]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].coverage > hits[1].coverage > 0


def test_coverage_is_the_weighted_share_of_question_terms_found() -> None:
    corpus = sections(("Retention", "We keep records six years."), ("Cookies", "We set cookies."))
    ranking = Ranker(corpus, PLAIN).rank("keep records")
    assert ranking.hits[0].coverage == pytest.approx(1.0)
    partial = Ranker(corpus, PLAIN).rank("keep cookies")
    assert all(0 < h.coverage < 1 for h in partial.hits)


def test_query_terms_report_unknown_words_and_ranking_is_deterministic() -> None:
    corpus = sections(("Retention", "We keep records."), ("Cookies", "We set cookies."))
    ranker = Ranker(corpus, PLAIN)
    first = ranker.rank("keep zebras")
    assert first.unknown == ("zebras",)
    again = ranker.rank("keep zebras")
    assert [(h.section.id, h.score) for h in first.hits] == [
        (h.section.id, h.score) for h in again.hits
    ]
    assert np.isfinite([h.score for h in first.hits]).all()
