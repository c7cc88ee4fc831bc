"""Rights requests over JSON: submit, read the status, resend the verification link, withdraw
(the HTML pages for the same are in web/pages/rights_forms.py and rights_status.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from qa.casework.links import public_link, request_status_path
from qa.casework.request import Created, Resent
from qa.errors import MailLimited
from web.deps import IdempotencyKey, SettingsDep, StatusToken
from web.openapi import ERRORS
from web.responses import NO_STORE, JSONResponse, api_path
from web.schemas import ErrorOut
from web.schemas.rights import ResentOut, RightsRequestCreatedOut, RightsRequestIn, RightsRequestOut
from web.services import ServicesDep

router = APIRouter(tags=["rights requests"])


def created_body(created: Created, public_url: str) -> dict[str, Any]:
    """The answer to a new request: its status, and its status links on PRIVACY_QA_PUBLIC_URL
    (a person follows the HTML page; scripts read the same status as JSON)."""
    page = request_status_path(created.reference, created.status_token)
    return {
        **created.view,
        "status_url": public_link(public_url, page),
        "api_url": public_link(public_url, api_path(page)),
        "mailed": created.mailed,
    }


@router.post(
    "/api/rights-requests",
    status_code=201,
    response_model=RightsRequestCreatedOut,
    responses=ERRORS,
)
def submit_rights_request(
    body: RightsRequestIn,
    services: ServicesDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Make a rights request; the requester gets a link to confirm their e-mail address."""
    created = services.rights.submit(body.to_intake(), idempotency_key)
    return JSONResponse(
        created_body(created, settings.public_url), status_code=201, headers=NO_STORE
    )


@router.get("/api/rights-requests/{reference}", response_model=RightsRequestOut, responses=ERRORS)
def rights_request_status(reference: str, services: ServicesDep, token: StatusToken) -> Response:
    """The status of a request, for whoever holds its status URL."""
    request = services.rights.status(reference, token)
    return JSONResponse(request.public_dict(), headers=NO_STORE)


RESENT_WORDS = {
    "sent": "A new verification link is on its way to the address the request names.",
    "confirmed": "The address is confirmed already; nothing more is needed.",
    "not_needed": "This request needs no confirmation of the address.",
    "closed": "This request is closed (withdrawn or declined); it needs no confirmation.",
    "limited": "This address has had as many e-mails from us as we send it in the period "
    "(PRIVACY_QA_RATE_LIMITS, verify_mail); try again later, or contact the privacy team "
    "and give the reference.",
}


def resent_dict(resent: Resent) -> dict[str, Any]:
    """The API's answer to a resend; a resend beyond the mail limit is a MailLimited (429)."""
    if resent.outcome == "limited":
        raise MailLimited(f"token: {RESENT_WORDS['limited']}", "token")
    return {
        "reference": resent.request.reference,
        "status": resent.request.status,
        "outcome": resent.outcome,
        "message": RESENT_WORDS[resent.outcome],
    }


LIMITED_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    429: {
        "model": ErrorOut,
        "description": "Too many requests from this client (rate_limited), or, for a resend, "
        "the address had its share of mail for the period (mail_limit).",
    },
}
WITHDRAW_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"model": ErrorOut, "description": "The request is closed already (bad_transition)."},
}


@router.post(
    "/api/rights-requests/{reference}/resend", response_model=ResentOut, responses=LIMITED_ERRORS
)
def resend_rights_request_link(
    reference: str, services: ServicesDep, token: StatusToken
) -> Response:
    """Mail a new verification link to the address the request names (within the per-mailbox
    mail limit), for a request still waiting to be confirmed."""
    resent = services.rights.resend_verification(reference, token=token)
    return JSONResponse(resent_dict(resent), headers=NO_STORE)


@router.post(
    "/api/rights-requests/{reference}/withdraw",
    response_model=RightsRequestOut,
    responses=WITHDRAW_ERRORS,
)
def withdraw_rights_request(reference: str, services: ServicesDep, token: StatusToken) -> Response:
    """Withdraw an open request (status withdrawn); the privacy team is told by mail."""
    request = services.rights.withdraw(reference, token)
    return JSONResponse(request.public_dict(), headers=NO_STORE)
