"""What a visitor wants to do: a data-subject right, contact, or a complaint."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from index.tokens import Analyzer, default_analyzer, split_words

RIGHTS = (
    "access",
    "rectification",
    "erasure",
    "restriction",
    "portability",
    "objection",
    "withdraw_consent",
    "opt_out",
    "limit",
)

RIGHT_LABELS = {
    "access": "access to your data",
    "rectification": "correction of your data",
    "erasure": "erasure of your data",
    "restriction": "restriction of processing",
    "portability": "a copy to take elsewhere (portability)",
    "objection": "objection to processing",
    "withdraw_consent": "withdrawal of consent",
    "opt_out": "opt-out of sale or sharing",
    "limit": "limits on the use of sensitive data",
}


@dataclass(frozen=True)
class Intents:
    """The intents found in a question, and whether the visitor asks for a person."""

    names: tuple[str, ...]
    right: str | None
    wants_person: bool


class IntentDetector:
    """Matches a question's stems against the cues of qa/data/intents.toml."""

    def __init__(self, cues: dict[str, list[str]], analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self._cues = {
            name: [frozenset(self._stems(cue)) for cue in phrases] for name, phrases in cues.items()
        }

    def _stems(self, text: str) -> list[str]:
        return [self.analyzer.stem(w.text) for w in split_words(text)]

    def _matches(self, name: str, stems: frozenset[str]) -> bool:
        return any(cue <= stems for cue in self._cues.get(name, ()))

    def detect(self, question: str, corrected: tuple[str, ...] = ()) -> Intents:
        """Intents of `question`; `corrected` adds the words that misspelled ones were taken for."""
        stems = frozenset(self._stems(question)) | {self.analyzer.stem(w) for w in corrected}
        rights = [r for r in RIGHTS if self._matches(r, stems)]
        if "limit" in rights and "restriction" in rights:
            rights.remove("restriction")
        names: list[str] = []
        right = rights[0] if len(rights) == 1 else None
        if right:
            names.append(f"rights:{right}")
        elif rights or self._matches("general", stems):
            names.append("rights")
        if self._matches("contact", stems):
            names.append("contact")
        if self._matches("complaint", stems):
            names.append("complaint")
        return Intents(tuple(names), right, self._matches("person", stems))


@lru_cache(maxsize=1)
def default_detector() -> IntentDetector:
    """The detector with the bundled cues (built once)."""
    raw = resources.files("qa").joinpath("data", "intents.toml").read_text(encoding="utf-8")
    table = tomllib.loads(raw)
    cues: dict[str, list[str]] = {}
    for key, value in table.items():
        if key == "rights":
            for right, spec in value.items():
                cues[right] = list(spec["cues"])
        else:
            cues[key] = list(value["cues"])
    unknown = set(cues) - {*RIGHTS, "general", "contact", "complaint", "person"}
    if unknown:
        raise ValueError(f"qa/data/intents.toml: unknown intents {sorted(unknown)}")
    return IntentDetector(cues, default_analyzer())
