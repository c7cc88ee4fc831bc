"""The layout holds: imports run one way (web -> qa -> index; inside qa, cli -> casework ->
storage/delivery, answering beside casework), the domain holds no HTTP framework, the store
loads without the ranker, and no module grows past about 300 lines unnoticed.

Imports are read with `ast` from the source, those inside functions included (a lazy import is
still an arrow), so nothing here imports the code it checks except (c), which needs a fresh
interpreter to see what one import really loads.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "qa", "web")
MAX_LINES = 300


@dataclass(frozen=True)
class Import:
    """One import statement: the module holding it, what it imports (absolute, dotted), the
    line, and the function it sits in (None at module level)."""

    module: str
    target: str
    line: int
    function: str | None

    def __str__(self) -> str:
        where = f" (in {self.function})" if self.function else ""
        return f"{self.module}:{self.line} imports {self.target}{where}"


def module_name(path: Path) -> str:
    """The dotted name of a source file under ROOT (a package's __init__ is the package)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    """Every Python module of index/, qa/ and web/ by its dotted name."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The absolute names a `from ... import ...` brings in: the module, and each imported name
    as a possible submodule (`from qa.casework import desk` is an arrow to qa.casework.desk)."""
    if node.level:
        base = module.split(".")
        if not is_package:
            base.pop()
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    return [source, *(f"{source}.{alias.name}" for alias in node.names)]


def imports_of(module: str, path: Path) -> list[Import]:
    """Every import in a module's source, with the function (if any) it sits in."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(module, a.name, child.lineno, function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                targets = _resolve(module, path.name == "__init__.py", child)
                found.extend(Import(module, t, child.lineno, function) for t in targets)
            inner = (
                child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else None
            )
            visit(child, inner or function)

    visit(tree, None)
    return found


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    """Every import of every module of index/, qa/ and web/."""
    return [found for name, path in sources().items() for found in imports_of(name, path)]


def within(name: str, package: str) -> bool:
    """Whether a dotted name is `package` or inside it."""
    return name == package or name.startswith(package + ".")


def arrows(graph: list[Import], source: str, targets: tuple[str, ...]) -> list[Import]:
    """The imports from modules inside `source` of anything inside one of `targets`."""
    return [
        found
        for found in graph
        if within(found.module, source) and any(within(found.target, t) for t in targets)
    ]


def present(package: str) -> bool:
    """Whether a package (dotted) exists in the tree."""
    return (ROOT / package.replace(".", "/")).is_dir()


def show(found: list[Import]) -> str:
    return "\n".join(str(item) for item in found)


# -- (a) imports run one way ------------------------------------------------------------------


def test_index_imports_nothing_of_qa_or_web(graph: list[Import]) -> None:
    wrong = arrows(graph, "index", ("qa", "web"))
    assert not wrong, "index/ is the bottom layer and imports neither qa nor web:\n" + show(wrong)


# The one arrow from qa to web: `privacy-qa serve` starts the web app, importing it lazily inside
# the command's function so that no other command loads the web layer.
SERVE_COMMAND = ("qa.cli.main", "cmd_serve")


def test_qa_imports_nothing_of_web_but_the_serve_command_lazily(graph: list[Import]) -> None:
    wrong = [
        found
        for found in arrows(graph, "qa", ("web",))
        if (found.module, found.function) != SERVE_COMMAND
    ]
    assert not wrong, (
        "qa/ imports nothing from web/ (web uses qa); the one exception is the lazy import in"
        f" {'.'.join(SERVE_COMMAND)}:\n" + show(wrong)
    )


# Inside qa, by layer: (the layer, every name it has had, the layers it must not import). A layer
# is checked under whichever of its names exists, so a rename does not silently drop its rule.
STORAGE_AND_MAIL = ("qa.storage", "qa.delivery", "qa.mail")
CASEWORK = ("qa.casework",)
ANSWERING = ("qa.answering",)
CLI = ("qa.cli",)
LAYERS = [
    (STORAGE_AND_MAIL, CASEWORK + ANSWERING + CLI),
    (CASEWORK, CLI),
    (ANSWERING, CASEWORK + CLI),
]


@pytest.mark.parametrize(
    ("sources_", "forbidden"), LAYERS, ids=["storage-and-mail", "casework", "answering"]
)
def test_inside_qa_each_layer_imports_only_downwards(
    graph: list[Import], sources_: tuple[str, ...], forbidden: tuple[str, ...]
) -> None:
    existing = [package for package in sources_ if present(package)]
    assert existing, f"none of {sources_} exists: update LAYERS to the new layout"
    wrong = [found for package in existing for found in arrows(graph, package, forbidden)]
    assert not wrong, f"{' and '.join(existing)} must not import {', '.join(forbidden)}:\n" + show(
        wrong
    )


def test_qas_shared_modules_import_none_of_its_sub_packages(graph: list[Import]) -> None:
    # settings, errors, logs, ratelimits...: the floor every sub-package stands on.
    shared = [name for name, path in sources().items() if path.parent == ROOT / "qa"]
    subpackages = tuple(
        f"qa.{p.name}" for p in (ROOT / "qa").iterdir() if (p / "__init__.py").exists()
    )
    wrong = [
        found
        for found in arrows(graph, "qa", subpackages)
        if found.module in shared and found.module != "qa"
    ]
    assert not wrong, "qa's top-level modules sit below its sub-packages:\n" + show(wrong)


# -- (b) no HTTP framework in the domain ------------------------------------------------------


def test_nothing_under_qa_imports_fastapi_or_starlette(graph: list[Import]) -> None:
    wrong = arrows(graph, "qa", ("fastapi", "starlette"))
    assert not wrong, "HTTP belongs to web/; qa/ returns domain objects:\n" + show(wrong)


# -- (c) the store loads without the ranker ---------------------------------------------------

RANKER_LIBRARIES = ("rank_bm25", "numpy", "symspellpy")  # the index, not the reader
ANSWERING_LIBRARIES = ("rank_bm25", "numpy", "Stemmer", "symspellpy", "markdown_it")


def _loaded_by(module: str) -> list[str]:
    """The answering libraries a fresh interpreter holds after `import module`."""
    probe = (
        f"import json, sys; import {module};"
        f" print(json.dumps(sorted(m for m in {list(ANSWERING_LIBRARIES)!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    return loaded


@pytest.mark.slow  # a fresh interpreter: a process
def test_importing_the_store_loads_none_of_the_answering_libraries() -> None:
    loaded = _loaded_by("qa.storage.store")
    assert loaded == [], f"`import qa.storage.store` loads {loaded}: casework needs no ranker"
    # The probe sees them where they are: the assistant does load the ranker.
    assert "rank_bm25" in _loaded_by("qa.answering.assistant")


@pytest.mark.slow  # a fresh interpreter: a process
def test_a_casework_command_runs_without_the_ranker(tmp_path: Path) -> None:
    # `requests list` reads the policy (its contact card, its section ids) but builds no index.
    probe = (
        "import json, sys; from qa.cli.main import main; code = main(['requests', 'list']);"
        " print(json.dumps([code, sorted(m for m in "
        f"{list(RANKER_LIBRARIES)!r} if m in sys.modules)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "PRIVACY_QA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    assert code == 0
    assert loaded == [], f"`privacy-qa requests list` loads {loaded}"


# -- (d) module sizes -------------------------------------------------------------------------

# The modules over MAX_LINES when the check was written, each split by the restructuring (issue
# 12). A module not listed may not grow past the limit; a listed one that has shrunk below it, or
# gone, is to be taken off the list (the message names it), so the list only ever gets shorter.
OVER_THE_LIMIT = {
    "index/ranker.py",
    "qa/answering/assistant.py",
    "qa/casework/escalations.py",
    "qa/settings.py",
}


def test_no_module_grows_past_300_lines_unlisted() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in sources().values()
    }
    over = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    report = "\n".join(
        f"{lines:5d} {name}" for name, lines in sorted(over.items(), key=lambda i: -i[1])
    )
    new = sorted(set(over) - OVER_THE_LIMIT)
    shrunk = sorted(OVER_THE_LIMIT - set(over))
    assert not new, f"over {MAX_LINES} lines: split {new} by job. Every module over:\n{report}"
    assert not shrunk, f"now {MAX_LINES} lines or fewer (or gone): take {shrunk} off OVER_THE_LIMIT"
