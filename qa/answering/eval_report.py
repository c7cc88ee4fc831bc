"""What an evaluation found: a result per question, the metrics over them, and their tables."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.answering.question_sets import Row

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
