"""The gap report: declined questions and unhelpful sections."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
