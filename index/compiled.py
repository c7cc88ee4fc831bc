"""The answer path compiled to C by mypyc, used only while it is a build of the sources as they are.

`make install` runs `make compiled` (`main` here), which compiles the modules pyproject.toml lists
under `[tool.privacy-qa] compiled` into build/compiled/, with a manifest of each source's SHA-256.
The plain Python code is the program; the build is a faster copy of it (answer() in about half
the time, the same bytes out), the way mypy and black ship themselves.

A package with compiled modules (index, qa.answering) calls `use_compiled` first thing: when the
manifest matches this interpreter and every source byte for byte, the build's folder comes first
on the package's path and its modules load instead of the sources. Otherwise (a source edited
since the build, another Python, no C compiler on the machine, or PRIVACY_QA_COMPILED=off in the
environment) the package runs as plain Python. All or none: compiled modules call one another
natively, so a build with one stale module would run old code inside new.

Writing for the compiler, in the modules it compiles (each rule measured on answer()):
- A class made per question is a dataclass with its own __init__ (`init=False`; `unsafe_hash`
  keeps it hashable as `frozen` did): the __init__ dataclasses generates is interpreted Python,
  ten times a compiled one (answer(): 90 us to 65 us). Its fields are not reassigned, by
  convention, where `frozen` used to forbid it.
- No closures or numpy calls on a question's usual path (numpy stays for the rare question with
  no term the policy knows): a nested function is an object made per call, and numpy is
  reached through the interpreter; plain lists of floats add up the same.

PRIVACY_QA_COMPILED is read here, at import, before any setting is: it is a switch of the build,
not a setting of the service (the answers are the same either way).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "compiled"
MANIFEST = "manifest.json"
LIBRARY = "privacy_qa__mypyc"  # the group's shared library, which every module's shim imports
SWITCH = "PRIVACY_QA_COMPILED"


def _tag() -> str:
    """What a build is only good for: this interpreter's version and ABI."""
    return f"{sys.implementation.cache_tag}-{sysconfig.get_config_var('EXT_SUFFIX')}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_of(module: str, root: Path = ROOT) -> Path:
    """The source file of a dotted module name under `root`."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def configured(root: Path = ROOT) -> list[str]:
    """The modules pyproject.toml asks to compile."""
    import tomllib  # here: a process that only loads the build need not import it

    table = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    modules: list[str] = table["tool"]["privacy-qa"]["compiled"]
    return modules


def _fresh_manifest(build: Path, root: Path) -> dict[str, Any] | None:
    """The manifest of the build in `build`, when it is of the sources as they are now."""
    try:
        manifest: dict[str, Any] = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        if manifest["tag"] != _tag() or not (build / manifest["library"]).is_file():
            return None
        for module, digest in manifest["modules"].items():
            if _digest(source_of(module, root)) != digest:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return manifest


def fresh(build: Path = BUILD, root: Path = ROOT) -> dict[str, str] | None:
    """The manifest's modules, when the build in `build` is of the sources as they are now."""
    manifest = _fresh_manifest(build, root)
    if manifest is None:
        return None
    modules: dict[str, str] = manifest["modules"]
    return modules


@cache
def active() -> frozenset[str]:
    """The modules that load from the build in this process (none when it is stale or off)."""
    if os.environ.get(SWITCH, "").strip().lower() in {"0", "off", "false", "no"}:
        return frozenset()
    manifest = _fresh_manifest(BUILD, ROOT)  # read once: a rebuild may swap the folder
    if manifest is None or not manifest["modules"]:
        return frozenset()
    # The shims import the shared library by its top-level name: load it from the build
    # folder by path, so that nothing is added to sys.path.
    if LIBRARY not in sys.modules:
        spec = importlib.util.spec_from_file_location(LIBRARY, BUILD / manifest["library"])
        if spec is None or spec.loader is None:
            return frozenset()
        library = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(library)
        sys.modules[LIBRARY] = library
    return frozenset(manifest["modules"])


def use_compiled(package: str, path: list[str]) -> None:
    """Put the build's folder of `package` first on its `path` (a package's __path__) when the
    build is fresh and has modules of it."""
    if any(m.rpartition(".")[0] == package for m in active()):
        path.insert(0, str(BUILD.joinpath(*package.split("."))))


def digests(modules: list[str], root: Path = ROOT) -> dict[str, str]:
    """The SHA-256 of each module's source."""
    return {m: _digest(source_of(m, root)) for m in modules}


def write_manifest(out: Path, library: str, sources: dict[str, str]) -> None:
    """Record in `out` which sources (`digests`) and interpreter its build is of."""
    manifest = {"tag": _tag(), "library": library, "modules": sources}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def missing_toolchain() -> str | None:
    """What a build needs and this machine lacks (a C compiler, Python's headers), if anything."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "no Python headers (Python.h; Debian: python3-dev)"
    return None


def build(root: Path = ROOT, out: Path = BUILD) -> str:
    """Compile the configured modules into `out` unless a fresh build is there; what was done."""
    modules = configured(root)
    found = fresh(out, root)
    if found is not None and sorted(found) == sorted(modules):
        return f"compiled modules up to date ({len(modules)} in {out})"
    lacking = missing_toolchain()
    if lacking is not None:
        return f"{lacking}: the answer path runs as plain Python, unchanged but slower"
    # Imported here: only a build needs mypyc and setuptools.
    from mypyc.build import mypycify
    from setuptools import Distribution

    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="compiled-", dir=out.parent))
    try:
        paths = [str(source_of(m, root).relative_to(root)) for m in modules]
        sources = digests(modules, root)  # before the compiler reads them: an edit meanwhile
        # leaves the build stale, never labelled fresh
        here = Path.cwd()
        os.chdir(root)  # mypy reads its settings (pyproject.toml) from the working folder
        try:
            extensions = mypycify(
                paths,
                opt_level="3",
                multi_file=False,
                group_name=LIBRARY.removesuffix("__mypyc"),
                target_dir=str(work / "c"),
            )
            # A bare Distribution: setuptools would otherwise read pyproject.toml's packaging.
            dist = Distribution({"name": "privacy-qa-compiled", "ext_modules": extensions})
            dist.verbose = False  # the compiler's command lines are noise in `make install`
            command = dist.get_command_obj("build_ext")
            command.build_lib = str(work / "lib")
            command.build_temp = str(work / "tmp")
            dist.run_command("build_ext")
        finally:
            os.chdir(here)
        lib = work / "lib"
        library = next(p.name for p in lib.glob(f"{LIBRARY}.*") if p.is_file())
        write_manifest(lib, library, sources)
        # Swapped in whole: a process that checks meanwhile sees the old build or the new.
        old = work / "old"
        if out.exists():
            out.rename(old)
        lib.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return f"compiled {len(modules)} modules into {out}"


def main() -> int:
    """`make compiled`: build the compiled modules if they are stale (a compile error fails)."""
    print(build())
    return 0
