"""What an answer is: the sections found in the policy's own words, the intents and next steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_QUESTION = 500  # characters: the longest question answered, wherever it comes from


# Its own __init__, which compiles (index/compiled.py).
@dataclass(slots=True, init=False, unsafe_hash=True)
class Highlight:
    """A matched word in a snippet, by character offsets."""

    start: int
    end: int
    text: str

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start = start
        self.end = end
        self.text = text


@dataclass(slots=True, init=False, unsafe_hash=True)
class SectionAnswer:
    """One section that answers (or may relate to) the question, verbatim."""

    id: str
    document: str
    heading: str
    path: tuple[str, ...]
    url: str
    score: float
    coverage: float
    snippet: str
    snippet_html: str
    highlights: tuple[Highlight, ...]
    matched_terms: tuple[str, ...]
    markdown: str
    html: str
    example: str | None = None
    # The contact section added after the answering sections for a visitor who wants to act
    # (a right, a complaint, a person): not found by the question's words, so scored 0.
    card: bool = False

    def __init__(
        self,
        id: str,
        document: str,
        heading: str,
        path: tuple[str, ...],
        url: str,
        score: float,
        coverage: float,
        snippet: str,
        snippet_html: str,
        highlights: tuple[Highlight, ...],
        matched_terms: tuple[str, ...],
        markdown: str,
        html: str,
        example: str | None = None,
        card: bool = False,
    ) -> None:
        self.id = id
        self.document = document
        self.heading = heading
        self.path = path
        self.url = url
        self.score = score
        self.coverage = coverage
        self.snippet = snippet
        self.snippet_html = snippet_html
        self.highlights = highlights
        self.matched_terms = matched_terms
        self.markdown = markdown
        self.html = html
        self.example = example
        self.card = card

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "id": self.id,
            "document": self.document,
            "heading": self.heading,
            "path": list(self.path),
            "url": self.url,
            "score": round(self.score, 4),
            "coverage": round(self.coverage, 4),
            "snippet": self.snippet,
            "snippet_html": self.snippet_html,
            "highlights": [
                {"start": h.start, "end": h.end, "text": h.text} for h in self.highlights
            ],
            "matched_terms": list(self.matched_terms),
            "markdown": self.markdown,
            "html": self.html,
            "example": self.example,
            "card": self.card,
        }


@dataclass(slots=True, init=False, unsafe_hash=True)
class Action:
    """A next step offered with every answer: contact, a rights request, or a person."""

    kind: str
    label: str
    url: str
    right: str | None = None

    def __init__(self, kind: str, label: str, url: str, right: str | None = None) -> None:
        self.kind = kind
        self.label = label
        self.url = url
        self.right = right

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; `right` only where one applies."""
        data: dict[str, Any] = {"kind": self.kind, "label": self.label, "url": self.url}
        if self.right is not None:
            data["right"] = self.right
        return data


@dataclass(slots=True, init=False, unsafe_hash=True)
class PolicyInfo:
    """Which policy an answer comes from."""

    document: str
    title: str
    last_updated: str | None
    version: str

    def __init__(self, document: str, title: str, last_updated: str | None, version: str) -> None:
        self.document = document
        self.title = title
        self.last_updated = last_updated
        self.version = version

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "document": self.document,
            "title": self.title,
            "last_updated": self.last_updated,
            "version": self.version,
        }


@dataclass(slots=True, init=False, unsafe_hash=True)
class Answer:
    """The reply to one question."""

    question: str
    answered: bool
    confidence: float
    message: str
    intents: tuple[str, ...]
    sections: tuple[SectionAnswer, ...]
    actions: tuple[Action, ...]
    policy: PolicyInfo
    corrections: tuple[tuple[str, str], ...]
    kind: str = "answer"
    suggestions: tuple[str, ...] = ()
    # Set when the question is in a language no document is written in (the code, e.g. "de"):
    # the message then says so in that language, and there are no sections.
    language: str | None = None

    def __init__(
        self,
        question: str,
        answered: bool,
        confidence: float,
        message: str,
        intents: tuple[str, ...],
        sections: tuple[SectionAnswer, ...],
        actions: tuple[Action, ...],
        policy: PolicyInfo,
        corrections: tuple[tuple[str, str], ...],
        kind: str = "answer",
        suggestions: tuple[str, ...] = (),
        language: str | None = None,
    ) -> None:
        self.question = question
        self.answered = answered
        self.confidence = confidence
        self.message = message
        self.intents = intents
        self.sections = sections
        self.actions = actions
        self.policy = policy
        self.corrections = corrections
        self.kind = kind
        self.suggestions = suggestions
        self.language = language

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, the shape of the API's answer."""
        return {
            "question": self.question,
            "answered": self.answered,
            "confidence": round(self.confidence, 4),
            "message": self.message,
            "intents": list(self.intents),
            "sections": [s.to_dict() for s in self.sections],
            "actions": [a.to_dict() for a in self.actions],
            "policy": self.policy.to_dict(),
            "corrections": [{"typed": t, "meant": m} for t, m in self.corrections],
            "kind": self.kind,
            "suggestions": list(self.suggestions),
            "language": self.language,
        }
