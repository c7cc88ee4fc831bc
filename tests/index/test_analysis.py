"""One analysis pass per sentence: what it derives must be what each reader would read itself."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
from _pytest.mark import ParameterSet
from rank_bm25 import BM25Okapi

from index.analysis import analyse_section, analyse_sentence
from index.bm25 import Params, Term, _with_synonyms, doc_sets, idf, term_scores, term_table
from index.passages import _ABBREVIATIONS as ABBREVIATIONS
from index.passages import plain_blocks, section_sentences, split_sentences
from index.policy import load_policy, read_policy
from index.practices import stem_words
from index.tokens import Analyzer, default_analyzer, split_words
from qa.settings import bundled_policy

ANALYZER = default_analyzer()
DATA = Path(__file__).parents[1] / "data"
POLICIES = [bundled_policy(), *sorted((DATA / "real").glob("*-*.md")), DATA / "unsafe-policy.md"]

# Sentences that part or join words in the ways the shortcuts must get right.
TRICKY = [
    "Contact US. US residents may opt out. We are based in the U.S.",
    "CONTACT US\n\nWrite to US law enforcement only when required.",
    "We share data (with partners), and; [never] sell it! Why? Because: no.",
    "- Email address\n- Phone number\n- Postal address",
    "Users’ data and the users' choices. L'utilisation des données personnelles.",
    "Données — traitées à Zürich. ＤＡＴＡ in full width, ﬁles with a ligature.",
    "---\n\n* * *\n\n1. \n\nText after rules. And more.",
    "Service. Providers get it: service providers, e.g. hosts, i.e. clouds.",
    "We keep logs for 30 days.We then delete them.  Two  spaces  here.",
    "<p>HTML <b>block</b></p>\n\nA | table\n--|--\nrow | cell",
]


def _sections() -> list[ParameterSet]:
    found = [
        pytest.param(s.markdown, id=f"{path.stem}#{s.id}")
        for path in POLICIES
        for s in load_policy(path).sections
    ]
    return found + [
        pytest.param(s.markdown, id=f"tricky-{n}")
        for n, text in enumerate(TRICKY)
        for s in read_policy(f"## T\n{text}\n", "t").sections
    ]


@pytest.mark.parametrize("markdown", _sections())
def test_a_section_analysed_once_reads_as_each_reader_reads_its_text(markdown: str) -> None:
    analysis = analyse_section(markdown, ANALYZER)
    sentences = section_sentences(markdown)
    assert analysis.texts == sentences
    whole = " ".join(sentences)
    # The ranker's terms and the practices' stems of the whole text, as they read it.
    assert analysis.terms == ANALYZER.terms(whole)
    assert analysis.stems == stem_words(ANALYZER, whole)
    for sentence, text in zip(analysis.sentences, sentences, strict=True):
        assert sentence.terms == ANALYZER.terms(text)
        assert sentence.stems == stem_words(ANALYZER, text)
        # The snippets' words: offsets into the sentence and stems of its content words.
        assert sentence.words == tuple(
            (w.start, w.end, ANALYZER.stem(w.text))
            for w in split_words(text)
            if not ANALYZER.is_stopword(w.text)
        )


@pytest.mark.parametrize("path", POLICIES[:3])
def test_term_scores_are_rank_bm25s_own_scores_to_the_last_bit(path: Path) -> None:
    params = Params()
    docs = [ANALYZER.terms(s.markdown) for s in load_policy(path).sections]
    terms, scores = term_scores(docs, params)
    bm25 = BM25Okapi(docs, k1=params.k1, b=params.b)
    bm25.idf = {term: idf(bm25.corpus_size, len(f)) for term, f in doc_sets(docs).items()}
    assert terms == list(bm25.idf)
    for term, row in zip(terms, scores, strict=True):
        assert np.array_equal(row, bm25.get_scores([term])), term


def _one_group_at_a_time(direct: dict[str, Term], analyzer: Analyzer, w: float) -> dict[str, Term]:
    """The synonyms as they were taken before: a call per group and per term."""
    terms = dict(direct)
    for group in analyzer.groups:
        members = [direct[t] for t in group if t in direct]
        if not members:
            continue
        scores = w * np.max([m.scores for m in members], axis=0)
        presence = w * np.max([m.presence for m in members], axis=0)
        related_idf = max(m.idf for m in members)
        sentences = w * np.max([m.sentences for m in members], axis=0)
        for term in group:
            own = terms.get(term)
            if own is None:
                terms[term] = Term(scores, presence, related_idf, sentences)
            else:
                terms[term] = Term(
                    np.maximum(own.scores, scores),
                    np.maximum(own.presence, presence),
                    own.idf,
                    np.maximum(own.sentences, sentences),
                )
    return terms


@pytest.mark.parametrize("path", POLICIES)
def test_synonyms_taken_at_once_are_those_taken_one_group_at_a_time(path: Path) -> None:
    # The default groups, and groups that overlap: a term in two groups, one the policy has
    # not in two, a group none of whose terms it has.
    groups = [
        *ANALYZER.groups,
        ["information", "details", "zebra"],
        ["zebra", "quokka", "cookies"],
        ["data", "cookies"],
        ["quokka", "platypus"],
    ]
    analyzer = Analyzer(sorted(ANALYZER.stopwords), groups)
    sections = load_policy(path).sections
    analysed = [analyse_section(s.markdown, analyzer) for s in sections]
    body = [a.terms for a in analysed]
    heads = [analyzer.terms(s.heading) for s in sections]
    sentences = [[x.terms for x in a.sentences] for a in analysed]
    params = Params()
    plain = Analyzer(sorted(ANALYZER.stopwords), [])
    direct = term_table(body, heads, sentences, [()] * len(sections), plain, params).terms
    matrices = tuple(
        np.vstack([getattr(t, field) for t in direct.values()])
        for field in ("scores", "presence", "sentences")
    )
    found = _with_synonyms(direct, analyzer, params, matrices)  # type: ignore[arg-type]
    expected = _one_group_at_a_time(direct, analyzer, params.synonym_weight)
    assert list(found) == list(expected)
    assert len(found) > len(direct)
    for term, want in expected.items():
        got = found[term]
        assert got.idf == want.idf, term
        for field in ("scores", "presence", "sentences"):
            assert np.array_equal(getattr(got, field), getattr(want, field)), (term, field)


def test_term_scores_of_sections_without_terms_are_empty() -> None:
    terms, scores = term_scores([[], []], Params())
    assert terms == [] and scores.shape == (0, 2)


@pytest.mark.parametrize(
    "path",
    [
        *sorted({" ".join(s.path) for p in POLICIES for s in load_policy(p).sections}),
        *("CONTACT US", "Privacy Policy > Contact US", "Données — Zürich", "U.S. Residents"),
    ],
)
def test_a_heading_path_analysed_once_reads_as_the_ranker_and_the_practices_read_it(
    path: str,
) -> None:
    heading = analyse_sentence(path, ANALYZER)
    assert heading.terms == ANALYZER.terms(path)
    assert heading.stems == stem_words(ANALYZER, path)


def _split_as_before(block: str) -> list[str]:
    """split_sentences with the boundary looked behind for, as it was written first."""
    boundary = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
    sentences: list[str] = []
    start = 0
    for match in boundary.finditer(block):
        before = block[start : match.start()].rsplit(None, 1)
        last_word = before[-1].casefold() if before else ""
        if last_word in ABBREVIATIONS or re.fullmatch(r"(?:\w\.)+", last_word):
            continue
        sentences.append(block[start : match.start()].strip())
        start = match.end()
    tail = block[start:].strip()
    return [s for s in [*sentences, tail] if s]


def test_sentences_end_where_the_boundary_looked_behind_for_ended_them() -> None:
    rng = random.Random(5)
    alphabet = ".!? \"”')]“([A9a\ne.g"
    made = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    blocks = [
        b for path in POLICIES for s in load_policy(path).sections for b in plain_blocks(s.markdown)
    ]
    for block in [*made, *blocks, *TRICKY]:
        assert split_sentences(block) == _split_as_before(block), block
