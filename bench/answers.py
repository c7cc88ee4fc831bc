"""`python -m bench.answers`: every answer of every question set, serialised as the API sends
it, so that a speed change can be shown to change no byte of any answer.

    python -m bench.answers dump OUT.jsonl [--set FILE ...] [--policies DIR]
    python -m bench.answers compare BEFORE.jsonl AFTER.jsonl
    python -m bench.answers digest

Without --set, the project's own sets: eval/questions.jsonl (the bundled policy),
eval/real/questions.jsonl (each row's policy), both also with one and two typos, the real
policies as one library, and the bench's questions on the bundled and synthetic policies. Each
question is asked with top_k 3 (the API's default) and 20 (the evaluation's).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import orjson

from bench.questions import distinct_questions
from bench.synthetic import synthetic_library
from index.library import Library, load_library
from index.policy import load_policy
from qa.answering.assistant import MAX_QUESTION, MAX_TOP_K, Assistant
from qa.answering.build import assistant_over
from qa.answering.question_sets import add_typos, policy_path, read_questions
from qa.settings import Settings, bundled_policy

ROOT = Path(__file__).resolve().parents[1]
OWN_SETS = (ROOT / "eval" / "questions.jsonl", ROOT / "eval" / "real" / "questions.jsonl")
TOP_KS = (3, MAX_TOP_K)
BENCH_QUESTIONS = 2000

# One line per answer: b"set\tid\ttop_k\t" + the answer's JSON.
Line = bytes


def serialised(assistant: Assistant, question: str, top_k: int) -> bytes:
    """The answer's JSON, byte for byte what POST /api/ask sends for it."""
    return orjson.dumps(assistant.answer(question, top_k).to_dict())


def _lines(name: str, assistant: Assistant, asked: Sequence[tuple[str, str]]) -> Iterator[Line]:
    for row_id, question in asked:
        for top_k in TOP_KS:
            head = f"{name}\t{row_id}\t{top_k}\t".encode()
            yield head + serialised(assistant, question[:MAX_QUESTION] or "?", top_k)


def set_lines(path: Path, policies: Path | None, typos: int = 0) -> Iterator[Line]:
    """The answers to one question file, each row asked of its own policy as `privacy-qa eval`
    builds it (the bundled policy where the row names none)."""
    rows = read_questions(path)
    if typos:
        rows = [replace(row, question=add_typos(row.question, typos)) for row in rows]
    settings = Settings()
    built: dict[Path | None, Assistant] = {}
    name = f"{path.name}+typos{typos}" if typos else path.name
    for row in rows:
        key = None if row.policy is None else policy_path(row.policy, path, policies)
        if key not in built:
            library = (
                load_library(bundled_policy())
                if key is None
                else Library({key.stem: load_policy(key)})
            )
            built[key] = assistant_over(library, settings)
        yield from _lines(name, built[key], [(row.id, row.question)])


def own_lines() -> Iterator[Line]:
    """The answers on the project's own sets and the bench's questions."""
    for path in OWN_SETS:
        for typos in (0, 1, 2):
            yield from set_lines(path, None, typos)
    settings = Settings()
    real = OWN_SETS[1].parent
    library = Library({p.stem: load_policy(p) for p in sorted(real.glob("*.md"))})
    rows = read_questions(OWN_SETS[1])
    yield from _lines(
        "real-library",
        assistant_over(library, settings),
        [(row.id, row.question) for row in rows],
    )
    asked = list(enumerate(distinct_questions(BENCH_QUESTIONS)))
    for name, made in (
        ("bench-bundled", lambda: load_library(bundled_policy())),
        ("bench-synthetic", synthetic_library),
        ("bench-library", lambda: synthetic_library(40, 3)),
    ):
        maker: Callable[[], Library] = made
        assistant = assistant_over(maker(), settings)
        yield from _lines(name, assistant, [(str(i), q) for i, q in asked])


def digest(lines: Iterator[Line]) -> str:
    """SHA-256 of the lines, each ended by a newline."""
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line + b"\n")
    return sha.hexdigest()


def compare(before: Path, after: Path) -> tuple[int, list[str]]:
    """How many answers were compared, and a description of each that differs."""
    old = before.read_bytes().splitlines()
    new = after.read_bytes().splitlines()
    problems = []
    if len(old) != len(new):
        problems.append(f"{len(old)} answers before, {len(new)} after")
    for a, b in zip(old, new, strict=False):
        if a != b:
            at = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
            where = a.split(b"\t", 3)[:3]
            problems.append(
                f"{b' '.join(where).decode()}: differs at byte {at}: "
                f"{a[max(0, at - 40) : at + 40]!r} -> {b[max(0, at - 40) : at + 40]!r}"
            )
    return min(len(old), len(new)), problems


def main(argv: Sequence[str] | None = None) -> int:
    """Dump, compare or digest; a difference is status 1."""
    top = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    dump = commands.add_parser("dump", help="write every answer to a file")
    dump.add_argument("out", type=Path)
    dump.add_argument("--set", type=Path, action="append", help="a question file (JSONL)")
    dump.add_argument("--policies", type=Path, help="where the sets' policies are")
    dump.add_argument("--typos", type=int, default=0, help="ask with this many typos too")
    cmp = commands.add_parser("compare", help="compare two dumps answer by answer")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    commands.add_parser("digest", help="the SHA-256 of the answers on the project's own sets")
    args = top.parse_args(argv)
    if args.command == "digest":
        print(digest(own_lines()))
        return 0
    if args.command == "compare":
        count, problems = compare(args.before, args.after)
        for problem in problems[:20]:
            print(problem)
        print(f"{count} answers compared, {len(problems)} differ")
        return 1 if problems else 0
    with args.out.open("wb") as out:
        if args.set:
            for path in args.set:
                for typos in sorted({0, args.typos}):
                    for line in set_lines(path, args.policies, typos):
                        out.write(line + b"\n")
        else:
            for line in own_lines():
                out.write(line + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
