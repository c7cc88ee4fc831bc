"""Which language a text is in, by its function words, and an analyzer for each language."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from index.tokens import Analyzer, default_analyzer, normalise, word_texts

# Language code (ISO 639-1) -> the Snowball stemmer PyStemmer has for it.
_SNOWBALL = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "sv": "swedish",
    "da": "danish",
    "pl": "polish",
}
SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(_SNOWBALL)

MIN_WORDS = 2  # a single word says too little ("data", "Datenschutz")
# The evidence that decides: a word in one language's list counts 1, a word shared by n
# languages' lists 1/n. A language other than the default must have at least MIN_EVIDENCE and
# beat the default by MARGIN: "do you store data in Berlin?" stays English.
MIN_EVIDENCE = 1.0
MARGIN = 0.75
# Letters only some languages write break a tie between two of them (Spanish or Portuguese,
# Danish or Swedish); worth less than one shared word, so they never decide on their own.
HINT = 0.25
_LETTERS = {
    "ä": ("de", "sv"),
    "ö": ("de", "sv"),
    "ü": ("de",),
    "ß": ("de",),
    "æ": ("da",),
    "ø": ("da",),
    "å": ("sv", "da"),
    "ñ": ("es",),
    "¿": ("es",),
    "¡": ("es",),
    "ã": ("pt",),
    "õ": ("pt",),
    "ç": ("fr", "pt"),
    "œ": ("fr",),
    "ê": ("fr", "pt"),
    "â": ("fr", "pt"),
    "ô": ("fr", "pt"),
    "î": ("fr",),
    "û": ("fr",),
    "è": ("fr", "it"),
    "ì": ("it",),
    "ò": ("it",),
    "ù": ("it", "fr"),
    "í": ("es", "pt"),
    "ú": ("es", "pt"),
    "á": ("es", "pt"),
    "ó": ("es", "pt", "pl"),
    "ą": ("pl",),
    "ć": ("pl",),
    "ę": ("pl",),
    "ł": ("pl",),
    "ń": ("pl",),
    "ś": ("pl",),
    "ź": ("pl",),
    "ż": ("pl",),
}
_HINTED = frozenset(_LETTERS)


class UnsupportedLanguage(ValueError):
    """A language code we have no stemmer and stopwords for; the message names the choices."""

    def __init__(self, language: str, field: str = "language") -> None:
        super().__init__(
            f"{field}: {language!r} is not a supported language; "
            f"use one of: {', '.join(SUPPORTED_LANGUAGES)}"
        )
        self.language = language
        self.field = field


def check_language(language: str, field: str = "language") -> str:
    """The code itself if it is supported; UnsupportedLanguage otherwise."""
    if language not in _SNOWBALL:
        raise UnsupportedLanguage(language, field)
    return language


@lru_cache(maxsize=len(_SNOWBALL))
def stopwords(language: str) -> frozenset[str]:
    """The language's function words (index/data/stopwords/<code>.txt), normalised."""
    check_language(language)
    path = resources.files("index").joinpath("data", "stopwords", f"{language}.txt")
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return frozenset(normalise(line) for line in lines if line)


@lru_cache(maxsize=len(_SNOWBALL))
def analyzer_for(language: str) -> Analyzer:
    """The analyzer for documents in `language` (built once): for English the default one,
    with its privacy vocabulary; for others that language's stemmer and stopwords, and no
    synonyms or short forms (those lists are English)."""
    if check_language(language) == "en":
        return default_analyzer()
    return Analyzer(stopwords(language), (), stemmer=_SNOWBALL[language])


@lru_cache(maxsize=1)
def _shares() -> dict[str, tuple[tuple[str, float], ...]]:
    """Each function word, with each language whose list holds it and the share of the word's
    evidence that language gets (1/n of a word n languages' lists hold)."""
    found: dict[str, list[str]] = {}
    for code in SUPPORTED_LANGUAGES:
        for word in stopwords(code):
            found.setdefault(word, []).append(code)
    return {word: tuple((c, 1.0 / len(codes)) for c in codes) for word, codes in found.items()}


def _evidence(words: list[str]) -> dict[str, float]:
    shares = _shares()
    scores = dict.fromkeys(SUPPORTED_LANGUAGES, 0.0)
    for word in words:
        found = shares.get(word)
        if found is not None:
            for code, share in found:
                scores[code] += share
        elif "'" in word:
            # An elided word ("qu'est", "dell'utente"): its head counts as "qu'", its rest alone.
            head, _, rest = word.partition("'")
            for part in (head + "'", rest):
                for code, share in shares.get(part, ()):
                    scores[code] += share
    return scores


def detect_language(text: str, default: str = "en") -> str | None:
    """The language of `text` by its function words, or None when unsure. `default` wins
    close calls: another language must beat it by MARGIN."""
    words = [w for w in word_texts(text) if w.isalpha() or any(c.isalpha() for c in w)]
    if len(words) < MIN_WORDS:
        return None
    scores = _evidence(words)
    hints = dict.fromkeys(SUPPORTED_LANGUAGES, 0.0)
    if not text.isascii():  # every hinted letter is outside ASCII, as most questions are not
        letters = set(text.lower())
        if not _HINTED.isdisjoint(letters):
            for letter in letters:
                codes = _LETTERS.get(letter, ())
                for code in codes:
                    hints[code] += HINT / len(codes)
    # By evidence, the default first among equals, then in the order of SUPPORTED_LANGUAGES.
    keys = [
        (-(scores[c] + hints[c]), c != default, n, c) for n, c in enumerate(SUPPORTED_LANGUAGES)
    ]
    best = min(keys)[3]
    if best == default or scores[best] - scores[default] < MARGIN:
        return default if scores[default] >= MIN_EVIDENCE else None
    if scores[best] < MIN_EVIDENCE:
        return None
    runner_up = min(k for k in keys if k[3] != best and k[3] != default)[3]
    if scores[best] + hints[best] <= scores[runner_up] + hints[runner_up]:
        return None  # two other languages alike, and no letter to tell them apart
    return best
