"""The support API's escalation models: the case as the privacy team sees it, and its changes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qa.casework.rights import MAX_REPLY
from qa.vocabulary import EscalationStatus
from web.schemas.common import SOME_TEXT, NotBlank, PageOut, PatchIn, left_out_not_null
from web.schemas.support import ChangeOut, PolicyShownOut


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
