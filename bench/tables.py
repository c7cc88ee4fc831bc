"""`python -m bench.tables`: a digest of every table a policy is indexed into, so that a change to
indexing can be shown to change none of them (`python -m bench.answers` does it for answers).

    python -m bench.tables [DIR ...]

One line per policy (its name and the start of its digest), then the digest of them all.
Without a folder, the project's own policies: the bundled one, eval/real/, tests/data/ and five
synthetic ones; with folders, every *.md in them (PolicyQA's policies, say). Sets are read in
order and floats to the last bit, so the digest is the same in every process.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bench.synthetic import synthetic_policy_text
from index.library import Library
from index.policy import Policy, PolicyError, load_policy, read_policy
from qa.answering.build import assistant_over
from qa.answering.documents import IndexedDocument
from qa.settings import Settings, bundled_policy

ROOT = Path(__file__).resolve().parents[1]
OWN_FOLDERS = (ROOT / "eval" / "real", ROOT / "tests" / "data")
NOT_POLICIES = frozenset({"README.md", "SOURCES.md", "LICENSES.md"})


def document_digest(document: IndexedDocument) -> str:
    """SHA-256 of one indexed document: its policy, every term's scores and presence, the
    practice table, the sentences and their analysis, the speller's words and the HTML."""
    ranker = document.ranker
    sha = hashlib.sha256(repr(document.policy).encode())
    for term in sorted(ranker._terms):  # the tables are the ranker's own (a bench may look)
        info = ranker._terms[term]
        values = (info.scores.tolist(), info.presence.tolist(), info.sentences.tolist())
        sha.update(repr((term, values, info.idf)).encode())
    practice = (ranker._practice.tolist(), ranker._covered.tolist(), ranker._titled.tolist())
    layout = (ranker._unit_section, ranker.lengths, sorted(ranker._silent))
    sha.update(repr((practice, layout)).encode())
    analysis = [
        [(s.text, s.words, s.stems, s.terms) for s in section.sentences]
        + [(section.terms, section.stems)]
        for section in ranker.analysis
    ]
    sha.update(repr((analysis, sorted(ranker.speller.counts.items()))).encode())
    for section_id, sentences in document.sentences.items():
        prepared = [
            (s.text, sorted(s.terms), s.words, s.html, s.marks, sorted(s.stems))
            for s in sentences.items
        ]
        sha.update(repr((section_id, prepared, sorted(sentences.having.items()))).encode())
    sha.update(repr(sorted(document.html.items())).encode())
    return sha.hexdigest()


def policies(folders: Sequence[Path]) -> Iterator[Policy]:
    """The policies of `folders` (every *.md but READMEs and source lists), or the project's."""
    if not folders:
        yield load_policy(bundled_policy())
    for folder in folders or OWN_FOLDERS:
        for path in sorted(folder.glob("**/*.md")):
            if path.name not in NOT_POLICIES:
                yield load_policy(path)
    if not folders:
        for seed in range(5):
            yield read_policy(synthetic_policy_text(1000 + seed), f"synthetic-{seed}")


def main(argv: Sequence[str] | None = None) -> int:
    """Print each policy's digest and the digest of them all."""
    top = argparse.ArgumentParser(prog="python -m bench.tables", description=__doc__)
    top.add_argument("folders", type=Path, nargs="*", help="folders of *.md policies")
    args = top.parse_args(argv)
    settings = Settings()
    whole = hashlib.sha256()
    count = 0
    try:
        for policy in policies(args.folders):
            assistant = assistant_over(Library({policy.name: policy}), settings)
            found = document_digest(assistant.documents[policy.name])
            print(f"{policy.name}\t{found[:16]}")
            whole.update(found.encode())
            count += 1
    except PolicyError as exc:
        print(f"python -m bench.tables: {exc}", file=sys.stderr)
        return 2
    print(f"{count} documents\t{whole.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
