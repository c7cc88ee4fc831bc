"""The support API's models for rights requests, the question log, batch questions and
erasure; its escalation models are in web/schemas/escalations.py."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qa.answering.assistant import MAX_QUESTION
from qa.casework.rights import MAX_REPLY
from web.schemas.ask import AnswerOut
from web.schemas.common import ADDRESS, SOME_TEXT, PageOut, PatchIn, TopK, left_out_not_null
from web.schemas.rights import Status, address

MAX_BATCH = 50
NEEDS_REASON = ("extended", "denied")


class ChangeOut(BaseModel):
    """One change in a case's history (no personal data)."""

    actor: str = Field(
        description="Who: a support key's name, requester, system, or cli:<login name>."
    )
    action: str = Field(
        description="created, verified, status_changed, assigned, note_added, replied, erased."
    )
    at: str
    details: dict[str, Any] = Field(
        description="old_status, new_status, assignee ('' when cleared), and flags: "
        "note_added, reason_given, reply_sent, mailed. Never a note's or reply's text."
    )


class PolicyShownOut(BaseModel):
    """The policy the visitor was shown: its document, version (hash) and date as written."""

    document: str | None
    version: str | None
    last_updated: str | None


class SupportRightsRequestOut(BaseModel):
    """A rights request with the requester's data, for the privacy team."""

    model_config = ConfigDict(extra="allow")

    reference: str
    right: str
    jurisdiction: str
    status: Status
    due_at: str
    name: str | None
    email: str | None
    allowed_statuses: list[str]
    policy: PolicyShownOut = Field(description="The policy the visitor was shown, if known.")
    sections: list[str] = Field(
        description="The ids of the sections the visitor was shown, if the request said."
    )
    history: list[ChangeOut] | None = Field(
        None, description="Who changed the request, what and when, oldest first (GET only)."
    )


class SupportRightsRequestListOut(PageOut):
    """Rights requests, soonest due first."""

    items: list[SupportRightsRequestOut]


class RightsRequestPatchIn(PatchIn):
    """A change by the privacy team: a new status (with a reason where needed, and a reply to
    the requester if wanted) and/or an internal note."""

    status: Status | None = Field(
        None, description="New status; extended and denied need a reason."
    )
    reason: str | None = Field(
        None, min_length=1, max_length=2000, description="Why (extension or denial)."
    )
    note: str | None = Field(
        None,
        min_length=1,
        max_length=5000,
        description="An internal note to add; notes never reach the requester.",
    )
    reply: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_REPLY,
        description="The team's message to the requester, in plain text: it goes in the mail "
        "that tells them of the new status (with their status link) and on their status page. "
        "Only with a new status.",
        json_schema_extra=SOME_TEXT,
    )

    # Leave a field out rather than send null; the schema says so, says at least one, and says
    # what is checked below: a reason goes with a status, and extended and denied need one.
    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda s: _patch_rules(s))

    @model_validator(mode="after")
    def _something(self) -> RightsRequestPatchIn:
        if self.status is None and self.note is None and self.reason is None and not self.reply:
            raise ValueError("send at least one of status, reason, note, reply")
        if self.reply is not None and not self.reply.strip():
            raise ValueError("reply: write some text, not only spaces")
        return self


def _patch_rules(schema: dict[str, Any]) -> None:
    """RightsRequestPatchIn's rules in its JSON Schema: those of every PATCH; a reason only
    with a status; extended and denied need one."""
    left_out_not_null(schema)
    schema["dependentRequired"] = {"reason": ["status"], "reply": ["status"]}
    schema["if"] = {"required": ["status"], "properties": {"status": {"enum": list(NEEDS_REASON)}}}
    schema["then"] = {"required": ["reason"]}


class LoggedQuestionOut(BaseModel):
    """One redacted question of the question log."""

    id: int
    question: str
    day: str
    answered: bool
    confidence: float
    section: str | None
    document: str | None
    kind: str | None = Field(
        description="The kind of answer it got (answer, related, silent, not_covered, "
        "off_topic, no_terms, social); null for questions logged before it was kept."
    )


class QuestionLogOut(PageOut):
    """Logged questions, newest first."""

    items: list[LoggedQuestionOut]


class BatchAskIn(BaseModel):
    """Questions to answer in one call."""

    model_config = ConfigDict(extra="forbid")

    questions: list[
        Annotated[str, Field(min_length=1, max_length=MAX_QUESTION, json_schema_extra=SOME_TEXT)]
    ] = Field(min_length=1, max_length=MAX_BATCH)
    top_k: TopK = 3

    @field_validator("questions")
    @classmethod
    def _each(cls, values: list[str]) -> list[str]:
        for i, value in enumerate(values):
            if not value.strip() or len(value) > MAX_QUESTION:
                raise ValueError(
                    f"question {i + 1} must have 1 to {MAX_QUESTION} characters of text"
                )
        return values


class BatchAnswerOut(BaseModel):
    """One answer per question, in order."""

    answers: list[AnswerOut]


class EraseIn(BaseModel):
    """Whose personal data to erase."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, json_schema_extra=ADDRESS)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return address(value, "email")


class ErasedOut(BaseModel):
    """How many records lost their personal data."""

    rights_requests: int
    escalations: int
    mails: int = Field(description="Mail records emptied (sent or not).")
    mail_files: int = Field(
        description="Mail files (.eml, .eml.fernet) deleted from the mail folder; 0 with SMTP."
    )
