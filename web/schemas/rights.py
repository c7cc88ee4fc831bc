"""The visitor's rights-request models (the support side's are in web/schemas/support.py),
and the field checks they share with the escalation form: one line, an e-mail address."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qa.addresses import check_address, check_header_value
from qa.answering.assistant import MAX_QUESTION
from qa.casework.request import Intake
from qa.casework.shown import MAX_SECTIONS
from qa.errors import QAError
from qa.vocabulary import Jurisdiction, RequestStatus, Right
from web.schemas.common import ADDRESS, ONE_LINE

# The vocabulary's own Literal types: the schema and the domain spell each list once.
Status = RequestStatus
MAX_NAME = 200
MAX_DETAILS = 5000


def one_line(value: str, field: str) -> str:
    """`value` stripped, if it is not blank and has no line break (it goes into mail headers)."""
    try:
        check_header_value(value, field)
    except QAError as exc:
        raise ValueError(exc.message.removeprefix(f"{field}: ")) from None
    if not value.strip():
        raise ValueError("must contain some text, not only spaces")
    return value.strip()


def address(value: str, field: str) -> str:
    """An e-mail address, or a ValueError saying what is wrong with it."""
    value = value.strip()
    try:
        return check_address(value, field)
    except QAError as exc:
        raise ValueError(exc.message.removeprefix(f"{field}: ")) from None


class RightsRequestIn(BaseModel):
    """A visitor's rights request."""

    model_config = ConfigDict(extra="forbid")

    right: Right = Field(description="The right the visitor wants to exercise.")
    jurisdiction: Jurisdiction = Field(
        description="The law the visitor invokes; it sets the deadline."
    )
    name: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The requester's name, on one line.",
        json_schema_extra=ONE_LINE,
    )
    email: str = Field(
        min_length=3,
        max_length=254,
        description="Where the verification link is sent.",
        json_schema_extra=ADDRESS,
    )
    details: str | None = Field(
        None, max_length=MAX_DETAILS, description="Anything that helps find or scope the data."
    )
    question: str | None = Field(
        None, max_length=MAX_QUESTION, description="What the visitor asked the assistant."
    )
    sections: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None,
        max_length=MAX_SECTIONS,
        description="The ids of the policy's sections the visitor was shown (an answer's "
        "sections[].id), so the team knows what they read; each must be a section of the policy.",
    )

    def to_intake(self) -> Intake:
        """The request as the casework's rights requests take it (`RightsRequests.submit`)."""
        data = self.model_dump()
        return Intake(**{**data, "sections": tuple(data["sections"] or ())})

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return one_line(value, "name")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return address(value, "email")

    @field_validator("details", "question")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class RightsRequestOut(BaseModel):
    """A rights request as its requester sees it (no personal data)."""

    reference: str = Field(examples=["RR-2026-000123"])
    right: str
    jurisdiction: str
    status: Status
    received_at: str
    verified_at: str | None
    confirm_by: str | None = Field(description="CCPA: confirm receipt by this date (UTC).")
    due_at: str = Field(description="The last day (UTC) to answer, extension included.")
    extended: bool
    extension_reason: str | None
    reason: str | None = Field(description="Why the request was denied, where it was.")
    reply: str | None = Field(
        None,
        description="The privacy team's message that came with the present status (plain text).",
    )
    closed_at: str | None


class RightsRequestCreatedOut(RightsRequestOut):
    """The request as stored, and the link to follow its status."""

    status_url: str = Field(
        description="Secret link to the status page (HTML), as mailed to the requester; keep "
        "it private."
    )
    api_url: str = Field(
        description="The same status as JSON (GET /api/rights-requests/{reference}?token=...)."
    )
    mailed: bool = Field(
        True,
        description="False when no mail was sent to the address: it had its share of mail for "
        "the period (PRIVACY_QA_RATE_LIMITS, verify_mail). The request is recorded all the same; "
        "keep status_url, the only link to it.",
    )


class ResentOut(BaseModel):
    """What asking for a new verification link did."""

    reference: str
    status: Status
    outcome: Literal["sent", "confirmed", "not_needed", "closed"] = Field(
        description="sent: a new link was mailed (the old one stops working); confirmed: the "
        "address is confirmed already; not_needed: this right or status needs no "
        "confirmation; closed: the request is withdrawn or declined."
    )
    message: str
