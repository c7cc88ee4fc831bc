"""The compiled answer path is used only while it is a build of the sources as they are, and where
a machine can build it, `make install` has."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import index.ranker
import qa.answering.assistant
from index.compiled import (
    BUILD,
    MANIFEST,
    ROOT,
    active,
    configured,
    digests,
    fresh,
    missing_toolchain,
    write_manifest,
)
from tests.support.plain import run_plain


def _tree(root: Path) -> Path:
    """A source tree of one module and a build of it with its library and manifest."""
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    build = root / "build"
    build.mkdir()
    (build / "lib.so").write_bytes(b"\x7fELF")
    write_manifest(build, "lib.so", digests(["pkg.mod"], root))
    return build


def test_a_build_is_fresh_while_its_sources_are_unchanged(tmp_path: Path) -> None:
    build = _tree(tmp_path)
    assert fresh(build, tmp_path) == digests(["pkg.mod"], tmp_path)


def test_an_edited_source_makes_the_build_stale(tmp_path: Path) -> None:
    build = _tree(tmp_path)
    (tmp_path / "pkg" / "mod.py").write_text("X = 2\n")
    assert fresh(build, tmp_path) is None


def test_a_build_for_another_python_is_stale(tmp_path: Path) -> None:
    build = _tree(tmp_path)
    manifest = json.loads((build / MANIFEST).read_text())
    manifest["tag"] = "cpython-310-.cpython-310-x86_64-linux-gnu.so"
    (build / MANIFEST).write_text(json.dumps(manifest))
    assert fresh(build, tmp_path) is None


@pytest.mark.parametrize("damage", ["no library", "no source", "broken manifest", "no manifest"])
def test_a_damaged_build_is_stale_not_an_error(tmp_path: Path, damage: str) -> None:
    build = _tree(tmp_path)
    if damage == "no library":
        (build / "lib.so").unlink()
    elif damage == "no source":
        (tmp_path / "pkg" / "mod.py").unlink()
    elif damage == "broken manifest":
        (build / MANIFEST).write_text('{"tag": ')
    else:
        (build / MANIFEST).unlink()
    assert fresh(build, tmp_path) is None


def test_where_a_machine_can_compile_the_answer_path_loads_compiled() -> None:
    if missing_toolchain() is not None:
        pytest.skip(f"{missing_toolchain()}: the answer path runs as plain Python here")
    built = fresh()
    assert built is not None, "build/compiled is stale: run `make compiled`"
    assert sorted(built) == sorted(configured())
    assert active() == frozenset(configured())
    for module in (index.ranker, qa.answering.assistant):
        assert Path(str(module.__file__)).is_relative_to(BUILD)


@pytest.mark.slow  # starts a Python process
def test_the_switch_turns_the_build_off() -> None:
    code = (
        "import index.ranker, qa.answering.snippets as s; print(index.ranker.__file__, s.__file__)"
    )
    files = run_plain(code).split()
    assert files == [
        str(ROOT / "index" / "ranker.py"),
        str(ROOT / "qa" / "answering" / "snippets.py"),
    ]
