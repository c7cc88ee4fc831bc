"""'Was this helpful?': a visitor's yes or no for a section, and the counts the team reads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class FeedbackIn(BaseModel):
    """Whether an answer's section helped; no question, name or address is taken."""

    model_config = ConfigDict(extra="forbid")

    section_id: str = Field(min_length=1, max_length=200, description="The section's id.")
    document: str | None = Field(
        None, max_length=200, description="The section's document (default: the main one)."
    )
    helpful: StrictBool = Field(description="true for yes, false for no.")


class FeedbackCountOut(BaseModel):
    """Yes and no answers for one section on one day (UTC)."""

    day: str = Field(examples=["2026-03-05"])
    document: str
    section_id: str
    helpful: int
    not_helpful: int


class FeedbackCountsOut(BaseModel):
    """Every section and day with feedback."""

    counts: list[FeedbackCountOut]
