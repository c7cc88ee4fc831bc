"""Scale: policy files of the synthetic kind to serve, a server's memory, and how fast many
policies are indexed."""

from __future__ import annotations

import time
from pathlib import Path

from bench.synthetic import synthetic_policy_text
from index.library import Library
from index.policy import read_policy
from qa.answering.build import assistant_over
from qa.settings import Settings, bundled_policy

LIBRARY_DOCUMENTS = 20
LARGE_SECTIONS = 400


def policy_files(workdir: Path) -> dict[str, Path]:
    """The policies the scale figures serve, by name: the bundled one, 40 and 400 sections, a
    folder of 20 documents; written to `workdir`."""
    folder = workdir / "library"
    folder.mkdir(exist_ok=True)
    for n in range(LIBRARY_DOCUMENTS):
        (folder / f"policy-{n + 1:02}.md").write_text(synthetic_policy_text(40 + n))
    files = {"bundled privacy policy": bundled_policy()}
    for sections in (40, LARGE_SECTIONS):
        path = workdir / f"synthetic-{sections}.md"
        path.write_text(synthetic_policy_text(40, sections), encoding="utf-8")
        files[f"synthetic, {sections} sections"] = path
    files[f"library of {LIBRARY_DOCUMENTS}"] = folder
    return files


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        pending.extend(int(c) for c in children)
    return total / 1024


def index_seconds(count: int) -> float:
    """Seconds to build the assistant of each of `count` synthetic policies, one at a time (a
    different policy each: a seed apiece)."""
    texts = [synthetic_policy_text(1000 + n) for n in range(count)]
    settings = Settings()
    start = time.perf_counter()
    for n, text in enumerate(texts):
        policy = read_policy(text, f"synthetic-{n}", "<synthetic>")
        assistant_over(Library({policy.name: policy}), settings)
    return time.perf_counter() - start
