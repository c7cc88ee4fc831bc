"""The answer path's models: a question, its answer, the policy and its sections, and the contact
card."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from qa.answering.assistant import MAX_QUESTION
from web.schemas.common import SOME_TEXT, NotBlank, TopK


class AskIn(BaseModel):
    """A visitor's question."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, NotBlank] = Field(
        min_length=1,
        max_length=MAX_QUESTION,
        description="The question, as the visitor typed it.",
        json_schema_extra=SOME_TEXT,
    )
    # strict: without it pydantic takes JSON true as 1 and false as 0.
    top_k: TopK = 3
    document: str | None = Field(None, description="Search only this document (by name).")


class HighlightOut(BaseModel):
    """A matched word in the snippet, by character offsets."""

    start: int
    end: int
    text: str


class SectionOut(BaseModel):
    """A section of the policy, verbatim, with the sentences that match."""

    id: str
    document: str
    heading: str
    path: list[str]
    url: str = Field(description="Where the section is shown, e.g. /policy#data-retention.")
    score: float
    coverage: float = Field(description="Share of the question's weighted terms in this section.")
    snippet: str = Field(description="The best one or two sentences, plain text.")
    snippet_html: str = Field(description="The snippet, HTML-escaped, matched words in <mark>.")
    highlights: list[HighlightOut]
    matched_terms: list[str]
    markdown: str
    html: str = Field(description="The section body rendered as safe HTML.")
    example: str | None = Field(
        None, description="The privacy team's example question that matched, if one did."
    )
    card: bool = Field(
        False,
        description="The contact section, added last for a visitor who wants to act; not "
        "found by the question's words (score 0).",
    )


class ActionOut(BaseModel):
    """A next step: contact, a rights request, or a person."""

    kind: str = Field(description="contact, rights_request or escalate.")
    label: str
    url: str
    right: str | None = None


class PolicyInfoOut(BaseModel):
    """The policy an answer comes from."""

    document: str
    title: str
    last_updated: str | None
    version: str = Field(description="A hash of the document's text.")


class CorrectionOut(BaseModel):
    """A word taken to be a misspelling of another."""

    typed: str
    meant: str


class AnswerOut(BaseModel):
    """The answer: the policy's own words, intents, and next steps."""

    question: str
    answered: bool
    confidence: float = Field(ge=0, le=1)
    message: str
    intents: list[str]
    sections: list[SectionOut]
    actions: list[ActionOut]
    policy: PolicyInfoOut
    corrections: list[CorrectionOut]
    kind: str = Field(
        description="answer (the sections answer), related (they may relate), silent (the "
        "policy does not say: the message names what), not_covered, off_topic (not about the "
        "policy), no_terms (no words to search), social (a greeting or thanks), language (asked "
        "in a language no document is written in: the message says so in that language)."
    )
    suggestions: list[str] = Field(description="Questions to try, after a greeting or thanks.")
    language: str | None = Field(
        None,
        description="The question's language code when no document is written in it; the "
        "message then says so in that language, and there are no sections.",
    )


class SectionSummaryOut(BaseModel):
    """A section in the policy's table of contents."""

    id: str
    heading: str
    path: list[str]
    level: int
    url: str


class DocumentOut(BaseModel):
    """A policy document's metadata and sections."""

    name: str
    title: str
    date: str | None
    authors: list[str]
    last_updated: str | None
    version: str
    url: str
    sections: list[SectionSummaryOut]


class PolicyOut(DocumentOut):
    """The default document, and the names of all documents."""

    documents: list[str]


class SectionDetailOut(SectionSummaryOut):
    """One section, verbatim and rendered."""

    document: str
    markdown: str
    html: str


class ContactOut(BaseModel):
    """How to reach the privacy team, read from the policy."""

    organisation: str | None
    address: list[str]
    phone: str | None
    email: str | None
    website: str | None
    section_id: str | None
