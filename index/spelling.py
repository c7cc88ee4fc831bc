"""Tolerance of misspelled words: the closest word of the index's vocabulary, by edit distance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from spellchecker import SpellChecker

# A word this common in English is taken as meant, not as a typo of a policy word
# ("compliant" is not "complaint"); rarer entries of the list include misspellings.
MIN_ENGLISH_FREQUENCY = 50


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words, from the word list pyspellchecker ships (no download)."""
    frequencies = SpellChecker(distance=1).word_frequency.dictionary
    return frozenset(w for w, n in frequencies.items() if n >= MIN_ENGLISH_FREQUENCY)


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps cost 1), or limit + 1 once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_distance(word: str) -> int:
    """How many edits a word of this length may be off: none for short words."""
    if len(word) <= 4:
        return 0
    return 1 if len(word) <= 7 else 2


class Speller:
    """Corrects a word to the most frequent vocabulary word within its allowed edit distance."""

    def __init__(self, words: Iterable[str], english: frozenset[str] = frozenset()) -> None:
        self.counts = Counter(w for w in words if w.isalpha())
        self.english = english
        self._index: dict[str, list[str]] = {}
        for word in self.counts:
            for key in _deletes(word, allowed_distance(word)):
                self._index.setdefault(key, []).append(word)
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """The vocabulary word meant by `word`: itself if in the vocabulary, None if it is an
        English word of its own or no vocabulary word is close."""
        if word in self.counts:
            return word
        if word in self.english:
            return None
        if word in self._cache:
            return self._cache[word]
        limit = allowed_distance(word)
        best: tuple[int, int, str] | None = None
        if limit and word.isalpha():
            candidates = {c for key in _deletes(word, limit) for c in self._index.get(key, ())}
            for candidate in candidates:
                distance = edit_distance(word, candidate, min(limit, allowed_distance(candidate)))
                if distance <= min(limit, allowed_distance(candidate)):
                    rank = (distance, -self.counts[candidate], candidate)
                    if best is None or rank < best:
                        best = rank
        result = best[2] if best else None
        if len(self._cache) < 100_000:
            self._cache[word] = result
        return result
