"""The practice layer: which privacy practices (collection, sharing, ...) a text is about."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from index.tokens import Analyzer, default_analyzer, split_words


class Practices:
    """Counts cue words and phrases of each practice in the stems of a text's words."""

    def __init__(
        self,
        cues: dict[str, list[str]],
        analyzer: Analyzer,
        questions: dict[str, list[str]] | None = None,
        silent: dict[str, str] | None = None,
        optional: Iterable[str] = (),
        core: Iterable[str] = (),
    ) -> None:
        self.names = tuple(cues)
        # Practices every policy covers, in common words: a passing mention is not enough.
        self.core = frozenset(core)
        # Practices whose absence from a policy does not make a question about them unanswered.
        self.optional = frozenset(optional)
        # What to tell a visitor whose question is about a practice the policy never mentions
        # ("whether we sell personal data"): "Our privacy policy does not say ...".
        self.silent = dict(silent or {})
        # The stems of every content word of a cue or a question form: the privacy vocabulary
        # that tells a question about the policy from one that only shares a word with it.
        self.words = frozenset(
            w.text
            for table in (cues, questions or {})
            for phrases in table.values()
            for phrase in phrases
            for w in split_words(phrase)
        )
        self.stems = frozenset(
            stem
            for table in (cues, questions or {})
            for phrases in table.values()
            for phrase in phrases
            for stem in analyzer.content_stems(phrase)
        )
        self._by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for index, name in enumerate(self.names):
            for cue in cues[name]:
                # Every word of a cue counts, stopwords too: "other users" is not "users", and
                # "as long as" is not "long".
                stems = tuple(stem_words(analyzer, cue))
                same_first = self._by_first.setdefault(stems[0], []) if stems else []
                # Cues that stem alike (delete, deletion) are one cue: a word counts once.
                if stems and (stems, index) not in same_first:
                    same_first.append((stems, index))
        # Each cue's index, in the order of _by_first; by the stem it starts with, the indices
        # of the one-word cues (found wherever the stem is) and the longer cues with theirs (a
        # cue found is counted by its index, without hashing its tuple).
        self.cue_practice: list[int] = []
        self._cue_ids: dict[str, tuple[list[int], list[tuple[tuple[str, ...], int]]]] = {}
        for first, entries in self._by_first.items():
            alone, longer = self._cue_ids.setdefault(first, ([], []))
            for cue_stems, practice in entries:
                if len(cue_stems) == 1:
                    alone.append(len(self.cue_practice))
                else:
                    longer.append((cue_stems, len(self.cue_practice)))
                self.cue_practice.append(practice)
        self.analyzer = analyzer
        self._questions: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for name, phrases in (questions or {}).items():
            for phrase in phrases:
                stems = tuple(self._all_stems(phrase))
                if stems:
                    self._questions.setdefault(stems[0], []).append((stems, self.names.index(name)))

    def _all_stems(self, text: str) -> list[str]:
        return stem_words(self.analyzer, text)

    def question_forms(self, stems: list[str]) -> dict[int, frozenset[str]]:
        """The practices a question's form asks about, each with the stems of the forms found."""
        found: dict[int, set[str]] = {}
        for i, stem in enumerate(stems):
            for cue, practice in self._questions.get(stem, ()):
                if _stands_at(stems, i, cue):
                    found.setdefault(practice, set()).update(cue)
        return {practice: frozenset(words) for practice, words in found.items()}

    def counts(self, stems: list[str]) -> list[int]:
        """How many cues of each practice occur in `stems`, the stems of all the words of a text
        (see `stem_words`); a phrase counts once, not per word."""
        found = [0] * len(self.names)
        for i, stem in enumerate(stems):
            for cue, practice in self._by_first.get(stem, ()):
                if _stands_at(stems, i, cue):
                    found[practice] += 1
        return found

    def cue_matrix(self, texts: list[list[str]]) -> NDArray[np.float64]:
        """How often each cue occurs in each of `texts` (each the stems of a text's words, see
        `stem_words`): a texts x cues matrix, cues by index (see `cue_practice`). Counted as
        positions and made into the matrix in one call: a policy has hundreds of cues and
        finds few of them in each section."""
        cells: list[int] = []
        width = len(self.cue_practice)
        for row, stems in enumerate(texts):
            offset = row * width
            for i, stem in enumerate(stems):
                found = self._cue_ids.get(stem)
                if found is None:
                    continue
                alone, longer = found
                for cue_id in alone:
                    cells.append(offset + cue_id)
                for cue, cue_id in longer:
                    if _stands_at(stems, i, cue):
                        cells.append(offset + cue_id)
        counts = np.bincount(np.asarray(cells, dtype=np.int64), minlength=len(texts) * width)
        return counts.reshape(len(texts), width).astype(np.float64)


def _stands_at(stems: list[str], at: int, cue: tuple[str, ...]) -> bool:
    """Whether the words of `cue` stand in `stems` from position `at` on (compared in place:
    slicing out a tuple to compare costs more than the comparison)."""
    if at + len(cue) > len(stems):
        return False
    return all(stems[at + k] == word for k, word in enumerate(cue))


BOUNDARY = "|"  # never a stem: stands between words that punctuation separates
_CLAUSE = re.compile(r"[,;()\[\]!?]|[.:]\s")


def parted(text: str, end: int, start: int) -> bool:
    """Whether a comma, a bracket or the end of a sentence stands in `text` between a word that
    ends at `end` and the next, which starts at `start`."""
    if start == end + 1 and text[end] == " ":
        return False  # the commonest gap holds no punctuation
    return _CLAUSE.search(text, end, start) is not None


def stem_words(analyzer: Analyzer, text: str) -> list[str]:
    """The stems of all the words of `text`, stopwords included, in order, with a `BOUNDARY`
    where a comma, a bracket or the end of a sentence parts two words: a cue is a phrase, and
    "transfer, to object" is not "transferred to"."""
    stems: list[str] = []
    end = 0
    for word in split_words(text):
        if stems and parted(text, end, word.start):
            stems.append(BOUNDARY)
        stems.append(analyzer.stem(word.text))
        end = word.end
    return stems


def _load(
    raw: str,
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, str], set[str], set[str]]:
    table = tomllib.loads(raw)
    cues = {name: list(spec["cues"]) for name, spec in table.items()}
    questions = {name: list(spec.get("questions", [])) for name, spec in table.items()}
    silent = {name: str(spec["silent"]) for name, spec in table.items() if "silent" in spec}
    optional = {name for name, spec in table.items() if not spec.get("absent_declines", True)}
    core = {name for name, spec in table.items() if spec.get("core", False)}
    return cues, questions, silent, optional, core


@lru_cache(maxsize=1)
def default_practices() -> Practices:
    """The bundled practice vocabulary (built once)."""
    raw = resources.files("index").joinpath("data", "practices.toml").read_text(encoding="utf-8")
    cues, questions, silent, optional, core = _load(raw)
    return Practices(cues, default_analyzer(), questions, silent, optional, core)
