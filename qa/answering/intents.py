"""What a visitor wants to do: a data-subject right, contact, or a complaint."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from index.tokens import Analyzer, default_analyzer, split_words
from qa.vocabulary import RIGHT_LABELS as RIGHT_LABELS
from qa.vocabulary import RIGHTS as RIGHTS
from qa.vocabulary import Right as Right


# Its own __init__, which compiles (index/compiled.py).
@dataclass(slots=True, init=False, unsafe_hash=True)
class Intents:
    """The intents found in a question, and whether the visitor asks for a person."""

    names: tuple[str, ...]
    right: str | None
    wants_person: bool
    cue_stems: frozenset[str] = frozenset()

    def __init__(
        self,
        names: tuple[str, ...],
        right: str | None,
        wants_person: bool,
        cue_stems: frozenset[str] = frozenset(),
    ) -> None:
        self.names = names
        self.right = right
        self.wants_person = wants_person
        self.cue_stems = cue_stems

    @property
    def wants_rights(self) -> bool:
        """A data-subject right is asked about (one, several, or rights in general)."""
        return any(name.startswith("rights") for name in self.names)

    @property
    def wants_contact(self) -> bool:
        """The visitor wants to reach the privacy team, or to complain."""
        return "contact" in self.names or "complaint" in self.names


MAX_GAP = 3  # words that may stand between two words of a cue


class IntentDetector:
    """Matches a question's words against the cues of qa/data/intents.toml: a cue matches when
    its words appear in order, with at most MAX_GAP other words between two of them."""

    def __init__(
        self,
        cues: dict[str, list[str]],
        analyzer: Analyzer,
        unless: dict[str, list[str]] | None = None,
    ) -> None:
        self.analyzer = analyzer
        # Cues by their first word, so a question is only tried against cues that can start in it.
        self._by_first = self._index(cues)
        # Cues that undo an intent: "my phone number" is the visitor's data, not a way to reach us.
        self._unless = self._index(unless or {})
        self.words = frozenset(
            w.text for phrases in cues.values() for phrase in phrases for w in split_words(phrase)
        )
        self.stems = frozenset(
            stem
            for phrases in cues.values()
            for phrase in phrases
            for stem in analyzer.content_stems(phrase)
        )

    def _index(self, cues: dict[str, list[str]]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for name, phrases in cues.items():
            for phrase in phrases:
                cue = tuple(self._stems(phrase))
                if cue:
                    by_first.setdefault(cue[0], []).append((cue, name))
        return by_first

    def _stems(self, text: str, corrections: Mapping[str, str] | None = None) -> list[str]:
        fix = corrections or {}
        return [self.analyzer.stem(fix.get(w.text, w.text)) for w in split_words(text)]

    @staticmethod
    def _found_at(cue: tuple[str, ...], stems: list[str], start: int) -> bool:
        # Each next word of the cue, first found within MAX_GAP words of the last (searched in
        # place: slicing out each window costs more than the search).
        at = start
        for c in range(1, len(cue)):
            word = cue[c]
            end = min(len(stems), at + 2 + MAX_GAP)
            k = at + 1
            while k < end and stems[k] != word:
                k += 1
            if k >= end:
                return False
            at = k
        return True

    def _matches(
        self, stems: list[str], by_first: dict[str, list[tuple[tuple[str, ...], str]]]
    ) -> dict[str, list[tuple[str, ...]]]:
        found: dict[str, list[tuple[str, ...]]] = {}
        for start, stem in enumerate(stems):
            for cue, name in by_first.get(stem, ()):
                if self._found_at(cue, stems, start):
                    found.setdefault(name, []).append(cue)
        return found

    def detect_stems(self, stems: Sequence[str]) -> Intents:
        """Intents from the stems of a question's words, in order (as the ranker gives them)."""
        # The ranker and the assistant both ask, for the same question: remember the last few.
        return self._detect(tuple(stems))

    @lru_cache(maxsize=1024)  # noqa: B019 - one detector per process, built once
    def _detect(self, stems: tuple[str, ...]) -> Intents:
        found = self._matches(list(stems), self._by_first)
        for name in self._matches(list(stems), self._unless):
            found.pop(name, None)
        rights = [r for r in RIGHTS if r in found]
        if "limit" in rights and "restriction" in rights:
            rights.remove("restriction")
        names: list[str] = []
        right = rights[0] if len(rights) == 1 else None
        if right:
            names.append(f"rights:{right}")
        elif rights or "general" in found:
            names.append("rights")
        if "complaint" in found:
            names.append("complaint")
        if "contact" in found:
            names.append("contact")
        cue_stems = frozenset(
            stem
            for name in (*rights, "general", "contact", "complaint", "person")
            for cue in found.get(name, ())
            for stem in cue
        )
        return Intents(tuple(names), right, "person" in found, cue_stems)


@lru_cache(maxsize=1)
def default_detector() -> IntentDetector:
    """The detector with the bundled cues (built once)."""
    raw = resources.files("qa").joinpath("data", "intents.toml").read_text(encoding="utf-8")
    table = tomllib.loads(raw)
    cues: dict[str, list[str]] = {}
    unless: dict[str, list[str]] = {}
    for key, value in table.items():
        specs = value.items() if key == "rights" else [(key, value)]
        for name, spec in specs:
            cues[name] = list(spec["cues"])
            unless[name] = list(spec.get("unless", []))
    unknown = set(cues) - {*RIGHTS, "general", "contact", "complaint", "person"}
    if unknown:
        raise ValueError(f"qa/data/intents.toml: unknown intents {sorted(unknown)}")
    return IntentDetector(cues, default_analyzer(), unless)
