"""Rights requests over HTTP: submit, read the status, and the e-mail verification page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from qa.addresses import check_address, check_header_value
from qa.answering.assistant import MAX_QUESTION
from qa.casework.links import public_link, request_status_path
from qa.casework.request import Created, Intake, Resent
from qa.casework.shown import MAX_SECTIONS
from qa.errors import LinkNotValid, MailLimited, QAError
from qa.vocabulary import Jurisdiction, RequestStatus, Right
from web.deps import SettingsDep
from web.errors import status_of
from web.pages.chat import form_tokens
from web.pages.policy import render_page
from web.responses import JSONResponse
from web.schemas import ADDRESS, ONE_LINE, ErrorOut
from web.services import ServicesDep

router = APIRouter(tags=["rights requests"])

# The vocabulary's own Literal types: the schema and the domain spell each list once.
Status = RequestStatus
MAX_NAME = 200
MAX_DETAILS = 5000
NO_STORE = {"Cache-Control": "no-store"}

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No request with this reference and token."},
    413: {"model": ErrorOut, "description": "The request body is too large."},
    422: {
        "model": ErrorOut,
        "description": "A field is missing or not valid; the message names it.",
    },
    503: {
        "model": ErrorOut,
        "description": "Not available now: the database is out of reach (retry), or rights "
        "requests and escalations are off because PRIVACY_QA_PRIVACY_EMAIL is not set and the "
        "policy names no e-mail (privacy_email_not_set).",
    },
}

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID, say): a retry with the same key and body gets "
        "the first answer, and no second request is made.",
    ),
]


# The secret of a status URL (a request's or an escalation's), as the visitor's link has it.
StatusToken = Annotated[
    str, Query(min_length=1, max_length=200, description="The token from the status URL.")
]


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
        """The request for the desk."""
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


def api_path(page_path: str) -> str:
    """The JSON twin of a status page: the same path and token under /api."""
    return "/api" + page_path


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
    services.sender.wake()
    return JSONResponse(
        created_body(created, settings.public_url), status_code=201, headers=NO_STORE
    )


@router.get("/api/rights-requests/{reference}", response_model=RightsRequestOut, responses=ERRORS)
def rights_request_status(reference: str, services: ServicesDep, token: StatusToken) -> Response:
    """The status of a request, for whoever holds its status URL."""
    request = services.rights.status(reference, token)
    return JSONResponse(request.public_dict(), headers=NO_STORE)


@router.get("/rights-requests/verify", include_in_schema=False)
def verify_rights_request(request: Request, services: ServicesDep, token: str = "") -> Response:
    """The page the verification link opens: confirms the request once, until it expires; an
    expired link's page offers to send a new one."""
    try:
        confirmed = services.rights.verify(token[:200])
    except LinkNotValid as exc:
        page = render_page(
            "rights_verify.html",
            status=status_of(exc),
            title="Confirmation link not valid",
            ok=False,
            reason=exc.reason,
            message=exc.message,
            reference=exc.reference,
            link=token[:200],
            form_token=form_tokens(request).issue("rights-resend") if exc.reference else None,
        )
    else:
        services.sender.wake()
        page = render_page(
            "rights_verify.html",
            title="Request confirmed",
            ok=True,
            request=confirmed,
        )
    page.headers.update(NO_STORE)
    return page


RESENT_WORDS = {
    "sent": "A new verification link is on its way to the address the request names.",
    "confirmed": "The address is confirmed already; nothing more is needed.",
    "not_needed": "This request needs no confirmation of the address.",
    "closed": "This request is closed (withdrawn or declined); it needs no confirmation.",
    "limited": "This address has had as many e-mails from us as we send it in the period "
    "(PRIVACY_QA_RATE_LIMITS, verify_mail); try again later, or contact the privacy team "
    "and give the reference.",
}


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
    services.sender.wake()
    return JSONResponse(resent_dict(resent), headers=NO_STORE)


@router.post(
    "/api/rights-requests/{reference}/withdraw",
    response_model=RightsRequestOut,
    responses=WITHDRAW_ERRORS,
)
def withdraw_rights_request(reference: str, services: ServicesDep, token: StatusToken) -> Response:
    """Withdraw an open request (status withdrawn); the privacy team is told by mail."""
    request = services.rights.withdraw(reference, token)
    services.sender.wake()
    return JSONResponse(request.public_dict(), headers=NO_STORE)
