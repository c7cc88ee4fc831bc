"""Speed work must not move a byte of any answer: every answer on the project's own question
sets (and the bench's questions), serialised as POST /api/ask sends it, hashes to the digest
recorded when the answers were last meant to change.

A change that is meant to change answers updates GOLDEN (`python -m bench.answers digest`)
and says why in its commit; `python -m bench.answers dump` and `compare` show which answers
moved."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.answers import compare, digest, main, own_lines
from tests.support.plain import run_plain

# The answers as of commit 5ac0a50 (before the speed work of issue 11).
GOLDEN = "c809ae10b17ea40d282ff56ccc2f654ace24fe3ed2b8f5e764e3298c6f0daad4"


def test_every_answer_on_our_own_sets_is_unchanged() -> None:
    assert digest(own_lines()) == GOLDEN


@pytest.mark.slow  # starts a Python process
def test_the_plain_python_answers_are_the_compiled_ones() -> None:
    # The suite runs the compiled build (index/compiled.py) where there is one; the sources,
    # run as plain Python, must give the same bytes.
    code = (
        "import index.ranker; assert index.ranker.__file__.endswith('.py');"
        "from bench.answers import digest, own_lines; print(digest(own_lines()))"
    )
    assert run_plain(code).strip() == GOLDEN


def test_compare_names_the_answer_that_differs(tmp_path: Path) -> None:
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    before.write_bytes(b'set\tq1\t3\t{"a":1}\nset\tq2\t3\t{"a":2}\n')
    after.write_bytes(b'set\tq1\t3\t{"a":1}\nset\tq2\t3\t{"a":3}\n')
    count, problems = compare(before, after)
    assert count == 2 and len(problems) == 1 and problems[0].startswith("set q2 3:")
    assert main(["compare", str(before), str(before)]) == 0
    assert main(["compare", str(before), str(after)]) == 1
