"""The only place text is normalised: words, stopwords, Snowball stems and privacy phrases."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer

_WORD = re.compile(r"\w+(?:['’]\w+)*")
# "US" and "U.S." in capitals are the country, not the stopword "us": they become one word.
_COUNTRY = re.compile(r"\bU\.S\.(?:A\.)?|\bUSA\b|\bUS\b")
COUNTRY_WORD = "usa"
_MAX_PHRASE = 3
_STEM_CACHE = 100_000  # words whose stems an analyzer keeps (a few MB at most)


# Its own __init__, which compiles (index/compiled.py).
@dataclass(slots=True, init=False, unsafe_hash=True)
class Word:
    """A word as it stands in the text: its normalised form and its offsets in the original."""

    text: str
    start: int
    end: int

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end


def normalise(text: str) -> str:
    """Unicode NFKC, case folding and a plain apostrophe."""
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


# The normalised form of each word as written, up to _STEM_CACHE of them: a policy repeats its
# words, and each text is split several times while it is indexed.
_NORMALISED: dict[str, str] = {}


def _normalised_word(word: str) -> str:
    found = _NORMALISED.get(word)
    if found is None:
        found = normalise(word)
        if len(_NORMALISED) < _STEM_CACHE:
            _NORMALISED[word] = found
    return found


_SHORT_TEXT = 600  # a question: its words are split once however many parts ask for them


def split_words(text: str) -> list[Word]:
    """The words of `text`, normalised, with their offsets into `text` itself; "US" and "U.S."
    written in capitals are read as the word `usa`. Not kept: only texts shown with highlights
    need the offsets, each split once while a policy is indexed (a question's words come from
    `word_texts`)."""
    return _split(text)


def word_texts(text: str) -> list[str]:
    """The normalised words of `text`, as `split_words` gives them, without their offsets."""
    if len(text) <= _SHORT_TEXT:
        return list(_texts_short(text))
    return _texts(text)


def text_words(text: str) -> list[str]:
    """The normalised words of a policy's text, as `word_texts` gives them, read past its cache
    of questions: a policy's texts are read once, while it is indexed, and would only push the
    last questions out of it."""
    return _texts(text)


# A question's words, read by several parts in turn (small talk, language, the reader of each
# document): split once. Offsets are for texts shown with highlights, never for a question.
@lru_cache(maxsize=4096)
def _texts_short(text: str) -> tuple[str, ...]:
    return tuple(_texts(text))


def names_country(text: str) -> bool:
    """Whether "US", "USA" or "U.S." in capitals stands in `text` (read as the word `usa`
    unless shouted, which depends on the words around it)."""
    return "U" in text and _COUNTRY.search(text) is not None


# ASCII text lowered, with every character that is neither a word character nor an apostrophe
# made a space (a table for bytes.translate, which costs a seventh of str.translate's dict): in
# ASCII, \w is [A-Za-z0-9_], so what is left between the spaces is runs of word characters and
# apostrophes, and _WORD's words are those runs (one that holds an apostrophe is read by _WORD
# itself: "users'" is "users", "don't" one word).
_SPACED = (
    bytes(
        ord(chr(c).lower()) if chr(c).isalnum() or chr(c) in "_'" else ord(" ") for c in range(128)
    )
    + b" " * 128
)


def _spaced(text: str) -> str:
    """ASCII `text` lowered, with spaces for what is not a word character or an apostrophe."""
    return text.encode("ascii").translate(_SPACED).decode("ascii")


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """The words of `text` as `split_words` gives them, as (start, end, normalised word)."""
    if text.isascii() and not names_country(text):
        # As in _texts; a piece of the text split at single spaces is followed by one space,
        # so each piece starts where the last one ended, plus one.
        found: list[tuple[int, int, str]] = []
        at = 0
        apostrophes = "'" in text
        for piece in _spaced(text).split(" "):
            size = len(piece)
            if size and apostrophes and "'" in piece:
                found.extend(
                    (at + m.start(), at + m.end(), m.group()) for m in _WORD.finditer(piece)
                )
            elif size:
                found.append((at, at + size, piece))
            at += size + 1
        return found
    return [(w.start, w.end, w.text) for w in _split(text)]


def _texts(text: str) -> list[str]:
    if text.isascii() and not names_country(text):
        # NFKC leaves ASCII as it is and case folding it is lowering it, letter for letter,
        # so the words of the lowered text are the normalised words, and splitting at what
        # is not a word character is two C calls for them all (a regex costs twice as much).
        words: list[str] = []
        for piece in _spaced(text).split():
            if "'" in piece:
                words.extend(_WORD.findall(piece))
            else:
                words.append(piece)
        return words
    return [w.text for w in split_words(text)]


def _split(text: str) -> list[Word]:
    if "U" not in text:
        return [Word(_normalised_word(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]
    words: list[Word] = []
    at = 0
    for country in _COUNTRY.finditer(text):
        if not country.group().endswith(".") and _shouted(text, country.start()):
            continue  # "CONTACT US" in a heading in capitals is the stopword
        words.extend(
            Word(_normalised_word(m.group()), at + m.start(), at + m.end())
            for m in _WORD.finditer(text[at : country.start()])
        )
        words.append(Word(COUNTRY_WORD, country.start(), country.end()))
        at = country.end()
    words.extend(
        Word(_normalised_word(m.group()), at + m.start(), at + m.end())
        for m in _WORD.finditer(text[at:])
    )
    return words


def _shouted(text: str, at: int) -> bool:
    before = text[:at].split()
    return not any(c.islower() for c in text) or bool(before and before[-1].isupper())


def _read_lines(name: str) -> list[str]:
    raw = resources.files("index").joinpath("data", *name.split("/")).read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in raw.splitlines())
    return [line for line in lines if line]


class Analyzer:
    """Turns text into index terms: stems of content words, plus a term per known phrase."""

    def __init__(
        self,
        stopwords: Iterable[str],
        groups: Iterable[Iterable[str]],
        variants: dict[str, str] | None = None,
        *,
        stemmer: str = "english",
    ) -> None:
        self.stopwords = frozenset(normalise(w) for w in stopwords)
        # A stopword ending in an apostrophe is an elided article or pronoun (French "l'",
        # Italian "dell'"): it is dropped from the front of a word ("l'utilisation").
        self.elisions = frozenset(w[:-1] for w in self.stopwords if w.endswith("'"))
        self.variants = {normalise(k): normalise(v) for k, v in (variants or {}).items()}
        self._stemmer = Stemmer.Stemmer(stemmer)
        # Stems of the words seen so far, up to _STEM_CACHE of them: a visitor's words are
        # mostly the policy's, stemmed again for every question otherwise.
        self._stems: dict[str, str] = {}
        self._phrases: dict[tuple[str, ...], str] = {}
        self.groups: list[tuple[str, ...]] = []
        self.vocabulary: set[str] = set()
        for group in groups:
            terms = []
            for entry in group:
                self.vocabulary.update(word_texts(entry))
                stems = tuple(self.content_stems(entry))
                if not stems:
                    continue
                term = "_".join(stems)
                if len(stems) > 1:
                    self._phrases[stems] = term
                terms.append(term)
            self.groups.append(tuple(dict.fromkeys(terms)))
        self._longest = max((len(p) for p in self._phrases), default=1)
        self._phrase_starts = frozenset(p[0] for p in self._phrases)  # words a phrase can start at
        related: dict[str, set[str]] = {}
        for terms_of_group in self.groups:
            for term in terms_of_group:
                related.setdefault(term, {term}).update(terms_of_group)
        self.related = {term: frozenset(found) for term, found in related.items()}
        self._related_stems = {
            term: frozenset(part for r in found for part in r.split("_"))
            for term, found in self.related.items()
        }

    def related_terms(self, term: str) -> frozenset[str]:
        """The term and every term that shares a privacy-vocabulary group with it."""
        return self.related.get(term) or frozenset((term,))

    def related_stems(self, term: str) -> frozenset[str]:
        """The stems of `related_terms(term)`, a phrase term's words each on its own."""
        return self._related_stems.get(term) or frozenset(term.split("_"))

    def _unelided(self, word: str) -> str:
        if self.elisions and "'" in word:
            head, _, rest = word.partition("'")
            if rest and head in self.elisions:
                return rest
        return word

    def stem(self, word: str) -> str:
        """The Snowball stem of one normalised word (a known short form stands for its word)."""
        found = self._stems.get(word)
        if found is None:
            plain = self._unelided(word)
            found = _stem(self._stemmer, self.variants.get(plain, plain))
            if len(self._stems) < _STEM_CACHE:
                self._stems[word] = found
        return found

    def is_stopword(self, word: str) -> bool:
        """True for a normalised word that carries no meaning for retrieval."""
        if word in self.stopwords:
            return True
        plain = self._unelided(word)  # the word itself unless an elision came off it
        return plain is not word and plain in self.stopwords

    def content_stems(self, text: str) -> list[str]:
        """Stems of the non-stopwords of `text`, in order, without phrase terms."""
        return [self.stem(w) for w in text_words(text) if not self.is_stopword(w)]

    def add_phrases(self, stems: list[str], *, replace: bool = False) -> list[str]:
        """`stems` followed by one term for each known phrase found in them; with `replace`,
        the words of a phrase give way to it (a question's "service providers" is one thing,
        not "service" and "providers")."""
        if not self._phrases:
            return stems
        found = []
        used: set[int] = set()
        starts = self._phrase_starts
        for i in range(len(stems)):
            if stems[i] not in starts:
                continue
            for n in range(2, min(self._longest, len(stems) - i) + 1):
                term = self._phrases.get(tuple(stems[i : i + n]))
                if term:
                    found.append(term)
                    used.update(range(i, i + n))
        kept = [s for i, s in enumerate(stems) if i not in used] if replace else stems
        return kept + found

    def terms(self, text: str) -> list[str]:
        """Index terms of `text`: content stems, then phrase terms."""
        return self.add_phrases(self.content_stems(text))


def _stem(stemmer: Stemmer.Stemmer, word: str) -> str:
    stem: str = stemmer.stemWord(word)
    return stem


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    """The analyzer with the bundled stopwords and privacy vocabulary (built once)."""
    groups = [
        [e.strip() for e in line.split(",") if e.strip()] for line in _read_lines("synonyms.txt")
    ]
    variants = dict(line.split(None, 1) for line in _read_lines("variants.txt"))
    return Analyzer(_read_lines("stopwords/en.txt"), groups, variants)
