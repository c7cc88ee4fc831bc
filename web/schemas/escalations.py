"""Escalation models: the visitor's question for a person and its status page; and the support
API's, the case as the privacy team sees it, and its changes."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qa.casework.rights import MAX_REPLY
from qa.vocabulary import EscalationStatus
from web.schemas.common import (
    ADDRESS_OR_BLANK,
    SOME_TEXT,
    NotBlank,
    PageOut,
    PatchIn,
    left_out_not_null,
)
from web.schemas.rights import address
from web.schemas.support import ChangeOut, PolicyShownOut

# -- the visitor's ---------------------------------------------------------------------

MAX_ESCALATION_QUESTION = 2000
MAX_TURNS = 10


class TurnIn(BaseModel):
    """One earlier turn of the chat: what the visitor asked and what the assistant said."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=2000)
    answer: str = Field("", max_length=4000)


class EscalationIn(BaseModel):
    """A question for a person, and optionally where to reply."""

    # An address needs consent to reply, as JSON Schema says it (the validator below checks it).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"email": {"type": "string", **SOME_TEXT}}, "required": ["email"]},
            "then": {"properties": {"consent": {"const": True}}, "required": ["consent"]},
        },
    )

    question: str = Field(
        min_length=1, max_length=MAX_ESCALATION_QUESTION, json_schema_extra=SOME_TEXT
    )
    transcript: list[TurnIn] = Field(
        default_factory=list, max_length=MAX_TURNS, description="The last turns of the chat."
    )
    email: str | None = Field(
        None,
        max_length=254,
        description="Where to reply, if wanted.",
        json_schema_extra=ADDRESS_OR_BLANK,
    )
    consent: StrictBool = Field(
        False,
        validate_default=True,
        description="Must be true when an e-mail is given: the team may use it to reply.",
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must contain some text, not only spaces")
        return value.strip()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return address(value, "email")

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: bool, info: ValidationInfo) -> bool:
        if info.data.get("email") and not value:
            raise ValueError("must be true to give an e-mail address; we use it only to reply")
        return value


class EscalationOut(BaseModel):
    """The reference to quote when writing to the privacy team, and the status link."""

    reference: str = Field(examples=["ESC-2026-000001"])
    received_at: str
    status_url: str = Field(
        description="Secret link to the status page (HTML) with the team's replies; keep it "
        "private."
    )
    api_url: str = Field(
        description="The same status as JSON (GET /api/escalations/{reference}?token=...)."
    )
    reply_time: str = Field(
        description="When the privacy team replies (PRIVACY_QA_REPLY_TIME), for the visitor.",
        examples=["within 2 business days"],
    )


class EscalationReplyOut(BaseModel):
    """A reply of the privacy team."""

    at: str
    text: str


class EscalationStatusOut(BaseModel):
    """An escalation as the visitor sees it: its status and the team's replies."""

    reference: str
    status: EscalationStatus
    created_at: str
    updated_at: str | None
    replies: list[EscalationReplyOut]


# -- the support API's -----------------------------------------------------------------


class ReplyOut(BaseModel):
    """A reply the privacy team sent the visitor."""

    at: str
    text: str


class EscalationItemOut(BaseModel):
    """An escalation as the privacy team sees it."""

    reference: str
    status: EscalationStatus
    question: str | None
    transcript: list[dict[str, str]]
    email: str | None
    consent: bool
    created_at: str
    updated_at: str | None
    erased_at: str | None
    assignee: str | None
    notes: str | None = Field(description="Internal notes; never shown to the visitor.")
    replies: list[ReplyOut]
    policy: PolicyShownOut
    sections: list[str] = Field(description="The ids of the sections the visitor was shown.")


class SupportEscalationOut(EscalationItemOut):
    """One escalation with its history."""

    history: list[ChangeOut]


class EscalationRepliedOut(SupportEscalationOut):
    """The escalation after the reply, and whether a mail to the visitor was queued."""

    mailed: bool = Field(
        description="False when the visitor left no address to reply to: the reply is only "
        "on their status page."
    )


class EscalationPatchIn(PatchIn):
    """A change by the privacy team: a status, an assignee and/or an internal note."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda s: left_out_not_null(s))

    status: EscalationStatus | None = Field(None, description="open, answered or closed.")
    assignee: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Who on the team has it (a name like a key's, e.g. alice); '' for nobody.",
    )
    note: str | None = Field(
        None, min_length=1, max_length=5000, description="An internal note to add."
    )

    @model_validator(mode="after")
    def _something(self) -> EscalationPatchIn:
        if self.status is None and self.assignee is None and self.note is None:
            raise ValueError("send at least one of status, assignee, note")
        return self


class EscalationReplyIn(BaseModel):
    """The team's answer to the visitor."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, NotBlank] = Field(
        min_length=1,
        max_length=MAX_REPLY,
        description="The reply, as the visitor will read it (mail and status page).",
        json_schema_extra=SOME_TEXT,
    )


class EscalationListOut(PageOut):
    """Escalations, newest first."""

    items: list[EscalationItemOut]
