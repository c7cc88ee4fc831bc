"""Measure retrieval quality over question sets: Recall@k, MRR, nDCG@3, intents, answerability."""

from __future__ import annotations

import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any, TextIO

from index.library import Library
from index.policy import PolicyError, load_policy
from index.ranker import Params
from qa.answering.assistant import MAX_TOP_K, Assistant
from qa.answering.build import assistant_over
from qa.settings import Settings

METRICS = (
    "R@1",
    "R@3",
    "R@5",
    "MRR",
    "nDCG@3",
    "intent_acc",
    "unans_declined",
    "ans_declined",
    "off_topic",
    "unordered",
    "longest_first",
)


class EvalError(Exception):
    """A question file or policy cannot be evaluated; the message names the file and line."""


@dataclass
class Row:
    """One question of a question set."""

    id: str
    policy: str | None
    question: str
    relevant: list[str]
    answerable: bool
    intent: str | None
    category: str


@dataclass
class Result:
    """How the assistant did on one question."""

    row: Row
    rank: int | None
    answered: bool
    confidence: float
    intents: list[str]
    top: list[str] = field(default_factory=list)
    kind: str = "answer"
    best_first: bool = True
    longest_first: bool = False


def read_questions(path: Path) -> list[Row]:
    """Rows of a JSONL question file (format: ../shared/eval/README.md)."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalError(f"{path}: cannot be read ({exc.strerror})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            relevant = list(data.get("relevant_sections") or [])
            practices = data.get("practices") or []
            category = data.get("category") or (
                practices[0].split("|||")[0] if practices else (data.get("intent") or "information")
            )
            if not data.get("answerable", True):
                category = "unanswerable"
            rows.append(
                Row(
                    id=str(data.get("id", f"line-{number}")),
                    policy=data.get("policy"),
                    question=str(data["question"]),
                    relevant=relevant,
                    answerable=bool(data.get("answerable", bool(relevant))),
                    intent=data.get("intent"),
                    category=category.split(":")[0] if category.startswith("rights") else category,
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EvalError(f"{path}:{number}: not a question row ({exc}); see the format") from exc
    return rows


_LETTERS = re.compile(r"[^\W\d_]{5,}")


def add_typos(question: str, count: int) -> str:
    """`question` with `count` typos, the commonest kind: two adjacent letters swapped in the
    middle of each of its `count` longest words of five letters or more (first letters and
    short words are left alone). Deterministic, so every run asks the same questions."""
    words = sorted(_LETTERS.finditer(question), key=lambda m: (-len(m.group()), m.start()))
    chars = list(question)
    for match in words[:count]:
        word = match.group()
        for i in range(len(word) // 2 - 1, len(word) - 1):
            if i > 0 and word[i] != word[i + 1]:
                at = match.start() + i
                chars[at], chars[at + 1] = chars[at + 1], chars[at]
                break
    return "".join(chars)


def _policy_path(name: str, questions: Path, policies: Path | None) -> Path:
    candidates = [policies / name] if policies else []
    candidates += [questions.parent / "policies" / name, questions.parent / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise EvalError(
        f"policy {name!r} not found in {', '.join(map(str, candidates))}; pass --policies"
    )


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


def _primary(intents: list[str]) -> str | None:
    return intents[0] if intents else None


def summarise(results: Iterable[Result]) -> dict[str, float | int]:
    """The metrics over a list of results."""
    results = list(results)
    answerable = [r for r in results if r.row.answerable]
    unanswerable = [r for r in results if not r.row.answerable]
    labelled = [r for r in results if r.row.intent is not None or r.row.policy is None]

    def share(items: list[Result], test: Callable[[Result], bool]) -> float:
        return sum(1 for r in items if test(r)) / len(items) if items else float("nan")

    def dcg3(r: Result) -> float:
        return 1.0 / math.log2(r.rank + 1) if r.rank is not None and r.rank <= 3 else 0.0

    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "R@1": share(answerable, lambda r: r.rank is not None and r.rank <= 1),
        "R@3": share(answerable, lambda r: r.rank is not None and r.rank <= 3),
        "R@5": share(answerable, lambda r: r.rank is not None and r.rank <= 5),
        "MRR": sum(1.0 / r.rank for r in answerable if r.rank) / len(answerable)
        if answerable
        else float("nan"),
        "nDCG@3": sum(dcg3(r) for r in answerable) / len(answerable)
        if answerable
        else float("nan"),
        "intent_acc": share(labelled, lambda r: _primary(r.intents) == r.row.intent),
        "unans_declined": share(unanswerable, lambda r: not r.answered),
        "ans_declined": share(answerable, lambda r: not r.answered),
        # Every question, labelled or not: how many were declined as not about the policy,
        # and how many answers listed a section above a better-scored one.
        "off_topic": share(results, lambda r: r.kind == "off_topic"),
        "unordered": share(results, lambda r: not r.best_first),
        # First answers that are the document's longest section: a section winning by bulk
        # shows here as a share far above its share of the sections.
        "longest_first": share(results, lambda r: r.longest_first),
    }


def by_category(results: list[Result]) -> dict[str, dict[str, float | int]]:
    """The metrics per category of question (OPP-115 practice, or intent)."""
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        groups[r.row.category].append(r)
    return {name: summarise(items) for name, items in sorted(groups.items())}


def format_table(
    summary: dict[str, Any], categories: dict[str, dict[str, Any]] | None = None
) -> str:
    """A plain-text table of the metrics."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "  -  " if math.isnan(value) else f"{value:.3f}"
        return str(value)

    head = ["set", "n", *METRICS]
    lines = [head]
    lines.append(["all", cell(summary["questions"]), *(cell(summary[m]) for m in METRICS)])
    for name, values in (categories or {}).items():
        lines.append([name, cell(values["questions"]), *(cell(values[m]) for m in METRICS)])
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in lines
    )


def format_comparison(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Two summaries side by side, with the difference of each metric."""
    lines = [f"{'metric':>15}  {'before':>8}  {'after':>8}  {'change':>8}"]
    for metric in METRICS:
        a, b = before.get(metric, float("nan")), after.get(metric, float("nan"))
        lines.append(f"{metric:>15}  {a:8.3f}  {b:8.3f}  {b - a:+8.3f}")
    return "\n".join(lines)


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
            key = None if name is None else _policy_path(name, path, policies)
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


def write_results(results: list[Result], path: Path) -> None:
    """One JSON line per question, for error analysis."""
    with path.open("w", encoding="utf-8") as out:
        for r in results:
            out.write(
                json.dumps(
                    {
                        "id": r.row.id,
                        "policy": r.row.policy,
                        "question": r.row.question,
                        "relevant": r.row.relevant,
                        "rank": r.rank,
                        "top": r.top,
                        "kind": r.kind,
                        "answerable": r.row.answerable,
                        "answered": r.answered,
                        "confidence": round(r.confidence, 4),
                        "intent": r.row.intent,
                        "intents": r.intents,
                        "category": r.row.category,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
