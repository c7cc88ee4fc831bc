"""Escalation over HTTP: a question handed to a person on the privacy team."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from qa.casework.escalations import Turn
from qa.casework.links import escalation_status_path, public_link
from web.deps import IdempotencyKey, SettingsDep, StatusToken
from web.openapi import ERRORS
from web.responses import NO_STORE, JSONResponse, api_path
from web.schemas.escalations import EscalationIn, EscalationOut, EscalationStatusOut
from web.services import ServicesDep

router = APIRouter(tags=["escalations"])


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
