"""Request and response models of the HTTP API (they drive validation and the OpenAPI docs)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from qa.answering.assistant import MAX_QUESTION, MAX_TOP_K
from qa.answering.examples import CONTROL, SPACES
from qa.answering.examples import MIN_QUESTION as MIN_EXAMPLE
from qa.delivery.message import ADDRESS_PATTERN

# The checks the validators make on text, as JSON Schema, so that the documented contract and
# the code agree (tests/web/test_fuzz.py holds them to it). Unanchored patterns search the value.
# A character that is not white space as Python's str.strip() has it, which is what the
# server checks; JSON Schema's \S is ECMA's, which counts \x1c-\x1f and \x85 as text and
# \ufeff as space, so a client told "\S" would send what the server refuses.
TEXT_CHARACTER = (
    r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
SOME_TEXT: dict[str, Any] = {"pattern": TEXT_CHARACTER}
ONE_LINE: dict[str, Any] = {"pattern": TEXT_CHARACTER, "not": {"pattern": r"[\x00-\x1f\x7f]"}}
ADDRESS: dict[str, Any] = {"pattern": ADDRESS_PATTERN}
ADDRESS_OR_BLANK: dict[str, Any] = {"pattern": rf"^\s*$|{ADDRESS_PATTERN}"}


def _whole(value: object) -> object:
    # JSON has one kind of number: to JSON Schema 2.0 is the integer 2, so take it as 2. Strings
    # and booleans still fail the strict check.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso_date(value: object) -> object:
    # pydantic would read "0" or "1700000000" as a Unix time; the documented format is a date.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date such as 2026-03-31")
    return value


# The validator after Field wraps the constrained int, so the schema keeps minimum and maximum.
TopK = Annotated[
    int,
    Field(ge=1, le=MAX_TOP_K, strict=True, description="How many sections to return at most."),
    BeforeValidator(_whole),
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class AskIn(BaseModel):
    """A visitor's question."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION,
        description="The question, as the visitor typed it.",
        json_schema_extra=SOME_TEXT,
    )
    # strict: without it pydantic takes JSON true as 1 and false as 0.
    top_k: TopK = 3
    document: str | None = Field(None, description="Search only this document (by name).")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must contain some text, not only spaces")
        return value


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


class StatusOut(BaseModel):
    """A health answer."""

    status: str


class ErrorDetail(BaseModel):
    """What went wrong and how to fix it."""

    status: int
    code: str
    message: str
    field: str | None = None
    fields: list[dict[str, str]] = Field(default_factory=list)


class ErrorOut(BaseModel):
    """The one error shape of every route."""

    error: ErrorDetail


# At least three characters that are not spaces, and no control character, as the example
# questions' check says.
THREE_CHARACTERS: dict[str, Any] = {
    "pattern": r"\S\s*\S\s*\S",
    "not": {"pattern": r"[\x00-\x1f\x7f]"},
}


class ExampleIn(BaseModel):
    """An example question: a visitor asking this means that section."""

    model_config = ConfigDict(extra="forbid")

    document: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The section's document (default: the main one); GET /api/policy lists them.",
    )
    section_id: str = Field(
        min_length=1,
        max_length=200,
        description="The id of the section that answers it, e.g. data-retention; GET "
        "/api/policy?document=... lists them.",
    )
    question: str = Field(
        min_length=MIN_EXAMPLE,
        max_length=MAX_QUESTION,
        description="The question as a visitor would ask it, on one line: up to 500 "
        "characters, 3 of them not spaces (runs of spaces become one). The same question for "
        "the same section again changes nothing.",
        json_schema_extra=THREE_CHARACTERS,
    )

    @field_validator("question")
    @classmethod
    def _three_characters(cls, value: str) -> str:
        if CONTROL.search(value):
            raise ValueError("must be one line of text without control characters")
        if len(SPACES.sub("", value)) < MIN_EXAMPLE:
            raise ValueError(f"must have at least {MIN_EXAMPLE} characters other than spaces")
        return value


class ExampleOut(BaseModel):
    """An example question in the database."""

    id: int = Field(description="Its id, for DELETE /api/support/examples/{id}.")
    document: str
    section_id: str
    question: str = Field(description="The question, spaces collapsed.")
    created_at: str = Field(description="When it was added (UTC, ISO 8601).")
    created_by: str | None = Field(
        description="Who added it: the support key's name where keys have names, else null."
    )
    stale: bool = Field(
        description="true when the policy no longer has this section (or document): the "
        "example teaches nothing until it is removed or added again under the new id."
    )


class PageOut(BaseModel):
    """The envelope of every list (web/paging.py): a page of `items` and where it sits."""

    total: int = Field(description="How many items match the filters, on every page together.")
    limit: int = Field(description="The limit asked for: at most this many items.")
    offset: int = Field(description="How many matching items come before this page.")


class ExampleListOut(PageOut):
    """Example questions, oldest first."""

    items: list[ExampleOut]


class PeriodOut(BaseModel):
    """The days a report covers, both included (UTC)."""

    from_: str = Field(alias="from", examples=["2026-02-04"])
    to: str = Field(examples=["2026-03-05"])


class DeclinedQuestionOut(BaseModel):
    """A question the assistant declined, grouped with the ways it was typed."""

    question: str = Field(
        description="The question (redacted by the question log) as it was most often typed; "
        "questions that differ only in case, spaces and punctuation count as one."
    )
    count: int = Field(description="How often it was asked in the period.")
    last_seen: str = Field(description="The last day it was asked.")
    kinds: dict[str, int] = Field(
        description="The kinds of answer it got (silent, not_covered, related, off_topic), "
        "with counts; empty for questions logged before the kind was kept."
    )


class UnhelpfulSectionOut(BaseModel):
    """A section that visitors said did not help."""

    document: str
    section_id: str
    heading: str | None = Field(description="Its heading; null if the policy no longer has it.")
    helpful: int = Field(description="Yes answers in the period.")
    not_helpful: int = Field(description="No answers in the period.")


class GapReportOut(BaseModel):
    """What the policy does not answer: declined questions and unhelpful sections."""

    period: PeriodOut
    question_log: str = Field(
        description="on, or off when PRIVACY_QA_QUESTION_LOG_DAYS is 0: then no questions are "
        "kept and `declined` is empty for that reason."
    )
    question_log_days: int = Field(description="Days the question log keeps questions.")
    declined: list[DeclinedQuestionOut] = Field(description="Most asked first.")
    unhelpful: list[UnhelpfulSectionOut] = Field(description="Most 'not helpful' answers first.")
