"""The question sets the evaluation reads: one JSON object a line, each question with the
headings of the sections that answer it (or none), its intent and its category."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


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


def policy_path(name: str, questions: Path, policies: Path | None) -> Path:
    """The file of the policy a row names: in `policies`, or beside the question file."""
    candidates = [policies / name] if policies else []
    candidates += [questions.parent / "policies" / name, questions.parent / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise EvalError(
        f"policy {name!r} not found in {', '.join(map(str, candidates))}; pass --policies"
    )
