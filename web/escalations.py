"""Escalation over HTTP: a question handed to a person on the privacy team."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator
from starlette.responses import Response

from qa.escalations import Turn
from web.responses import JSONResponse
from web.rights import ERRORS, IdempotencyKey, address
from web.schemas import ADDRESS_OR_BLANK, SOME_TEXT
from web.services import ServicesDep

router = APIRouter(tags=["escalations"])

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
    """The reference to quote when writing to the privacy team."""

    reference: str = Field(examples=["ESC-2026-000001"])
    received_at: str


@router.post(
    "/api/escalations",
    status_code=201,
    response_model=EscalationOut,
    responses={k: v for k, v in ERRORS.items() if k != 404},
)
def submit_escalation(
    body: EscalationIn, services: ServicesDep, idempotency_key: IdempotencyKey = None
) -> Response:
    """Send a question to a person on the privacy team, with the sections the policy offers."""
    status, data = services.escalations.submit(
        body.question,
        tuple(Turn(t.question, t.answer) for t in body.transcript),
        body.email,
        body.consent,
        idempotency_key,
    )
    services.sender.wake()
    return JSONResponse(data, status_code=status)
