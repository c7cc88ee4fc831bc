"""Escalation over HTTP: a question handed to a person on the privacy team."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator
from starlette.responses import Response

from qa.casework.escalations import Turn
from qa.casework.links import escalation_status_path, public_link
from qa.vocabulary import EscalationStatus
from web.api.rights import ERRORS, NO_STORE, IdempotencyKey, StatusToken, address, api_path
from web.deps import SettingsDep
from web.responses import JSONResponse
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


@router.post(
    "/api/escalations",
    status_code=201,
    response_model=EscalationOut,
    responses={k: v for k, v in ERRORS.items() if k != 404},
)
def submit_escalation(
    body: EscalationIn,
    services: ServicesDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Send a question to a person on the privacy team, with the sections the policy offers;
    the answer says when they reply and gives the status link."""
    created = services.escalations.submit(
        body.question,
        tuple(Turn(t.question, t.answer) for t in body.transcript),
        body.email,
        body.consent,
        idempotency_key,
    )
    services.sender.wake()
    page = escalation_status_path(created.reference, created.status_token)
    data = {
        "reference": created.reference,
        "received_at": created.received_at,
        "status_url": public_link(settings.public_url, page),
        "api_url": public_link(settings.public_url, api_path(page)),
        "reply_time": settings.reply_time,
    }
    return JSONResponse(data, status_code=201, headers=NO_STORE)


@router.get("/api/escalations/{reference}", response_model=EscalationStatusOut, responses=ERRORS)
def escalation_status(
    reference: str,
    services: ServicesDep,
    token: StatusToken,
) -> Response:
    """The status of a question sent to the privacy team, and their replies, for whoever
    holds its status URL."""
    escalation = services.escalations.status(reference, token)
    return JSONResponse(escalation.public_dict(), headers=NO_STORE)
