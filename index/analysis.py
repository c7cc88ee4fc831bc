"""A section's text analysed once while a policy is indexed: each sentence split into words and
stemmed a single time, and what the ranker, the practices and the snippets read of it derived
from that one pass."""

from __future__ import annotations

from dataclasses import dataclass

from index.passages import section_sentences
from index.practices import BOUNDARY, parted, stem_words
from index.tokens import Analyzer, names_country, word_spans


@dataclass(slots=True)
class SentenceAnalysis:
    """One sentence: its content words as (start, end, stem) by their offsets in it, the stems
    of all its words in order with a `BOUNDARY` where punctuation parts two (`stem_words`),
    its index terms (`Analyzer.terms`), and where its first word starts and its last ends."""

    text: str
    words: tuple[tuple[int, int, str], ...]
    stems: list[str]
    terms: list[str]
    first: int
    end: int


@dataclass(slots=True)
class SectionAnalysis:
    """A section's sentences analysed, and the index terms and the stems of all the words of
    its whole text (its sentences joined by spaces), as `Analyzer.terms` and `stem_words` read
    that text."""

    sentences: list[SentenceAnalysis]
    terms: list[str]
    stems: list[str]

    @property
    def texts(self) -> list[str]:
        """The sentences as written."""
        return [s.text for s in self.sentences]


def analyse_sentence(text: str, analyzer: Analyzer) -> SentenceAnalysis:
    """Split and stem one sentence once."""
    stems: list[str] = []
    words: list[tuple[int, int, str]] = []
    first, end = -1, -1
    for start, stop, word in word_spans(text):
        if end < 0:
            first = start
        elif parted(text, end, start):
            stems.append(BOUNDARY)
        stem = analyzer.stem(word)
        stems.append(stem)
        if not analyzer.is_stopword(word):
            words.append((start, stop, stem))
        end = stop
    terms = analyzer.add_phrases([stem for _, _, stem in words])
    return SentenceAnalysis(text, tuple(words), stems, terms, first, end)


def analyse_section(markdown: str, analyzer: Analyzer) -> SectionAnalysis:
    """Every sentence of a section's Markdown analysed, and its whole text's terms and stems
    made of theirs: the words of sentences joined by spaces are the sentences' words in turn.
    Where "US" stands for the country, whether it is shouted depends on the words around it,
    across sentences, and the whole text is read again instead."""
    sentences = [analyse_sentence(text, analyzer) for text in section_sentences(markdown)]
    whole = " ".join(s.text for s in sentences)
    if names_country(whole):
        return SectionAnalysis(sentences, analyzer.terms(whole), stem_words(analyzer, whole))
    content: list[str] = []
    stems: list[str] = []
    gap = ""  # the text since the last word, across sentences
    for sentence in sentences:
        text = sentence.text
        if sentence.stems:
            before = gap + text[: sentence.first]
            if stems and parted(before, 0, len(before)):
                stems.append(BOUNDARY)
            stems.extend(sentence.stems)
            gap = text[sentence.end :] + " "
        else:
            gap += text + " "
        content.extend(stem for _, _, stem in sentence.words)
    return SectionAnalysis(sentences, analyzer.add_phrases(content), stems)
