"""One document as the assistant holds it (its ranker, its sections' HTML and sentences, made
once at start-up), and a section of it as an answer shows it."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from index.policy import Policy
from index.practices import Practices
from index.ranker import Hit, Params, Ranker
from index.tokens import Analyzer
from qa.answering.answers import SectionAnswer
from qa.answering.render import render_markdown
from qa.answering.snippets import Sentences, SnippetQuery, make_snippet, prepare_sentences


@dataclass(frozen=True)
class IndexedDocument:
    """A policy with its ranker, and per section id its HTML and its prepared sentences."""

    policy: Policy
    ranker: Ranker
    html: dict[str, str]
    sentences: dict[str, Sentences]


def index_document(
    policy: Policy,
    analyzer: Analyzer,
    params: Params,
    practices: Practices,
    examples: Sequence[Sequence[str]],
    vocabulary: Iterable[str],
    lexicon: frozenset[str],
    related: dict[str, frozenset[str]] | None = None,
) -> IndexedDocument:
    """Rank, render and split into sentences one document (`examples` per section, in order;
    `related`: each term's privacy-vocabulary relatives, as the questions are read with them)."""
    with collector_paused():
        ranker = Ranker(policy.sections, analyzer, params, practices, examples, vocabulary, lexicon)
        return IndexedDocument(
            policy,
            ranker,
            {s.id: render_markdown(s.markdown, s.subheadings) for s in policy.sections},
            {
                s.id: prepare_sentences(
                    analysis.sentences, ranker.analyzer.related if related is None else related
                )
                for s, analysis in zip(policy.sections, ranker.analysis, strict=True)
            },
        )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a document's tables are built.

    Nearly every object made then is kept, and what is not is freed by reference counting
    as it goes: each collection meanwhile (one per 700 new objects) would only traverse
    objects that all survive, at about a sixth of indexing's time. Collections resume after;
    a thread that finds the collector already paused leaves it to the one that paused it."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def section_answer(
    document: IndexedDocument,
    hit: Hit,
    query: SnippetQuery,
    by_term: dict[str, str],
    *,
    url: str,
    card: bool = False,
) -> SectionAnswer:
    """A hit of `document` as the answer shows it: its snippet, its terms, its HTML."""
    section = hit.section
    snippet = make_snippet(document.sentences[section.id], query)
    return SectionAnswer(
        id=section.id,
        document=section.document,
        heading=section.heading,
        path=section.path,
        url=url,
        score=hit.score,
        coverage=hit.coverage,
        snippet=snippet.text,
        snippet_html=snippet.html,
        highlights=snippet.highlights,
        matched_terms=tuple(sorted({by_term.get(t, t) for t in hit.matched})),
        example=hit.example,
        card=card,
        markdown=section.markdown,
        html=document.html[section.id],
    )
