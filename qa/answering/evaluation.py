"""Measure retrieval quality over question sets: Recall@k, MRR, nDCG@3, intents, answerability."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import TextIO

from index.library import Library
from index.policy import PolicyError, load_policy
from index.ranker import Params
from qa.answering.assistant import MAX_TOP_K, Assistant
from qa.answering.build import assistant_over
from qa.answering.eval_report import Result
from qa.answering.question_sets import EvalError, Row, add_typos, policy_path, read_questions
from qa.settings import Settings


def _progress(done: int, total: int, stream: TextIO) -> None:
    width = 30
    filled = width * done // max(total, 1)
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        stream.write("\n")
    stream.flush()


def evaluate(
    rows: list[Row],
    assistant_for: Callable[[str | None], Assistant],
    progress: TextIO | None = None,
) -> list[Result]:
    """Ask every question of the assistant built for its policy; ties keep document order."""
    results = []
    by_policy: dict[str | None, list[Row]] = defaultdict(list)
    for row in rows:
        by_policy[row.policy].append(row)
    done = 0
    for policy, policy_rows in by_policy.items():
        assistant = assistant_for(policy)
        longest = _longest_sections(assistant)
        for row in policy_rows:
            answer = assistant.answer(row.question[:500] or "?", MAX_TOP_K)
            headings = [s.heading for s in answer.sections]
            # A labelled heading may now sit inside a section (a `###` under a `##`): the
            # section that holds it is a hit.
            held = [_headings_in(assistant, s.document, s.id) for s in answer.sections]
            rank = next((i + 1 for i, hs in enumerate(held) if hs & set(row.relevant)), None)
            results.append(
                Result(
                    row,
                    rank,
                    answer.answered,
                    answer.confidence,
                    list(answer.intents),
                    headings[:5],
                    answer.kind,
                    _best_first([s.score for s in answer.sections]),
                    bool(answer.sections)
                    and (answer.sections[0].document, answer.sections[0].id) in longest,
                )
            )
            done += 1
            if progress is not None and (done % 50 == 0 or done == len(rows)):
                _progress(done, len(rows), progress)
    order = {row.id: i for i, row in enumerate(rows)}
    results.sort(key=lambda r: order[r.row.id])
    return results


def _longest_sections(assistant: Assistant) -> set[tuple[str, str]]:
    """Each document's longest section (by indexed words), as (document, section id)."""
    found = set()
    for name, document in assistant.documents.items():
        lengths = document.ranker.lengths
        if lengths:
            found.add((name, document.ranker.sections[lengths.index(max(lengths))].id))
    return found


def _best_first(scores: list[float]) -> bool:
    return all(a >= b for a, b in pairwise(scores))


def _headings_in(assistant: Assistant, document: str, section_id: str) -> set[str]:
    policy = assistant.library.get(document)
    section = policy.section(section_id) if policy else None
    if section is None:
        return set()
    return {section.heading, *(text for _, text in section.subheadings)}


def run_eval(
    questions: list[Path],
    default_library: Library,
    *,
    policies: Path | None = None,
    params: Params = Params(),
    settings: Settings | None = None,
    progress: TextIO | None = sys.stderr,
    typos: int = 0,
) -> list[Result]:
    """Evaluate question files; each named policy gets its own index, as the server builds it.
    With `typos`, each question is asked with that many typos in it (see `add_typos`)."""
    cache: dict[Path | None, Assistant] = {}
    results: list[Result] = []
    for path in questions:
        rows = read_questions(path)
        if typos:
            rows = [replace(row, question=add_typos(row.question, typos)) for row in rows]

        def assistant_for(name: str | None, path: Path = path) -> Assistant:
            key = None if name is None else policy_path(name, path, policies)
            if key not in cache:
                try:
                    library = (
                        default_library if key is None else Library({key.stem: load_policy(key)})
                    )
                except PolicyError as exc:
                    raise EvalError(str(exc)) from exc
                cache[key] = assistant_over(library, settings or Settings(), params=params)
            return cache[key]

        results.extend(evaluate(rows, assistant_for, progress))
    return results
