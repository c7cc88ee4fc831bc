"""The privacy team's example questions: a question that means a section."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qa.answering.assistant import MAX_QUESTION
from qa.answering.examples import CONTROL, SPACES
from qa.answering.examples import MIN_QUESTION as MIN_EXAMPLE
from web.schemas.common import PageOut

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


class ExampleListOut(PageOut):
    """Example questions, oldest first."""

    items: list[ExampleOut]
