"""A set of policy documents that one assistant answers from (a file, or a directory of them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.policy import Policy, PolicyError, load_policy

DEFAULT_NAME = "privacy-policy"


@dataclass(frozen=True)
class Library:
    """Documents by name, in a stable order; the default document comes first."""

    documents: dict[str, Policy]

    @property
    def default(self) -> Policy:
        """The document served at /policy: the privacy policy, or else the first one."""
        return next(iter(self.documents.values()))

    def get(self, name: str) -> Policy | None:
        """The document of that name, or None."""
        return self.documents.get(name)


def load_library(path: Path) -> Library:
    """Load one Markdown file, or every `*.md` in a directory (each named by its file stem)."""
    if path.is_dir():
        files = sorted(path.glob("*.md"))
        if not files:
            raise PolicyError(f"{path}: the directory holds no *.md policy; add one or name a file")
    elif path.is_file():
        files = [path]
    else:
        raise PolicyError(f"{path}: no such file or directory; set PRIVACY_QA_POLICY to a policy")
    policies = [load_policy(f) for f in files]
    policies.sort(key=lambda p: (p.name != DEFAULT_NAME, p.name))
    return Library({p.name: p for p in policies})
