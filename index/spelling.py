"""Tolerance of misspelled words: the closest word of the index's vocabulary, found by SymSpell.

symspellpy does the candidate search and the Damerau (optimal string alignment) distance, in
which an adjacent swap ("lnog") is one edit. What is ours is the policy for how far a word may
be off: short words are where a wrong correction is likeliest, so they may only have two
adjacent letters swapped, and a common English word is taken as meant ("compliant" is not
"complaint").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from spellchecker import SpellChecker
from symspellpy import SymSpell, Verbosity

from index.tokens import word_texts

# A word this common in English is taken as meant, not as a typo of a policy word
# ("compliant" is not "complaint"); rarer entries of the list include misspellings.
MIN_ENGLISH_FREQUENCY = 50
MAX_DISTANCE = 2
_CACHE_LIMIT = 100_000


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words, from the word list pyspellchecker ships (no download)."""
    frequencies = SpellChecker(distance=1).word_frequency.dictionary
    return frozenset(w for w, n in frequencies.items() if n >= MIN_ENGLISH_FREQUENCY)


@lru_cache(maxsize=8)
def known_words(texts: tuple[str, ...]) -> tuple[str, ...]:
    """The words of `texts` (the stopwords and the vocabulary every document of an assistant
    shares), each once, in order: read once, not for every document."""
    return tuple(dict.fromkeys(w for text in texts for w in word_texts(text)))


def allowed_distance(word: str) -> int:
    """How many edits a word of this length may be off: none for words of one or two letters,
    one swap of adjacent letters up to four letters, one edit up to seven, two beyond."""
    if len(word) <= 2:
        return 0
    if len(word) <= 7:
        return 1
    return 2


def is_swap(typed: str, meant: str) -> bool:
    """True when `meant` is `typed` with two adjacent letters swapped."""
    if len(typed) != len(meant) or typed == meant:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and typed[diff[0]] == meant[diff[1]]
        and typed[diff[1]] == meant[diff[0]]
    )


class Speller:
    """Corrects a word to the most frequent vocabulary word within its allowed distance."""

    def __init__(
        self,
        words: Iterable[str],
        english: frozenset[str] = frozenset(),
        extra: Iterable[str] = (),
    ) -> None:
        self.counts = Counter(filter(str.isalpha, words))
        for word in extra:
            if word.isalpha() and word not in self.counts:
                self.counts[word] = 1
        self.english = english
        # Built on the first word that needs a correction: most documents are indexed (and
        # many questions answered) without one, and the build is a third of indexing's cost.
        self._symspell: SymSpell | None = None
        self._cache: dict[str, str | None] = {}

    def _dictionary(self) -> SymSpell:
        found = self._symspell
        if found is None:
            # Built whole before it is published, so a thread that races here builds its own
            # identical copy rather than reading a half-filled one.
            found = SymSpell(max_dictionary_edit_distance=MAX_DISTANCE, prefix_length=7)
            for word, count in self.counts.items():
                found.create_dictionary_entry(word, count)
            self._symspell = found
        return found

    def correct(self, word: str) -> str | None:
        """The vocabulary word meant by `word`: itself if in the vocabulary, None if it is an
        English word of its own or no vocabulary word is close enough."""
        if word in self.counts:
            return word
        if word in self.english or not word.isalpha():
            return None
        if word in self._cache:
            return self._cache[word]
        result = self._closest(word)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = result
        return result

    def _closest(self, word: str) -> str | None:
        limit = allowed_distance(word)
        if not limit:
            return None
        found = self._dictionary().lookup(word, Verbosity.ALL, max_edit_distance=limit)
        best: tuple[int, int, str] | None = None
        for suggestion in found:
            candidate = suggestion.term
            if suggestion.distance > allowed_distance(candidate):
                continue
            if len(word) <= 4 and not is_swap(word, candidate):
                continue  # a short word: only a swap is surely a typo of this word
            rank = (suggestion.distance, -suggestion.count, candidate)
            if best is None or rank < best:
                best = rank
        return best[2] if best else None
