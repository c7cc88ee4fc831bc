"""Asking a person on the privacy team without JavaScript: the form at /escalations/new, sent as
POST /api/escalations would be (web/forms.py reads and checks it), and the question's status
page with the team's replies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from qa.casework.links import escalation_status_path
from qa.errors import IdempotencyMismatch, NotFound, QAError
from qa.vocabulary import ESCALATION_STATUS_TEXT
from web.deps import SettingsDep, form_tokens
from web.errors import status_of
from web.forms import accept_form, refused, requests_off, validate
from web.middleware.csrf import FormRefused
from web.schemas.escalations import EscalationIn
from web.services import ServicesDep
from web.templates import render_page

router = APIRouter(include_in_schema=False)


def _escalation_form(
    request: Request, values: Mapping[str, Any], errors: Mapping[str, str], status: int = 200
) -> Response:
    return render_page(
        "escalation_new.html",
        status=status,
        title="Ask the privacy team",
        token=form_tokens(request).issue("escalation"),
        values=values,
        errors=dict(errors),
    )


@router.get("/escalations/new")
async def new_escalation(
    request: Request,
    services: ServicesDep,
    question: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """A form to ask a person on the privacy team; ?question= fills it in."""
    if services.escalations.privacy_email is None:
        return requests_off("Asking the privacy team")
    return _escalation_form(request, {"question": question or "", "email": ""}, {})


@router.post("/escalations/new")
async def send_escalation(request: Request, services: ServicesDep) -> Response:
    """Take the form and hand the question to the privacy team, as POST /api/escalations does."""
    try:
        fields, nonce = await accept_form(request, "escalation")
    except FormRefused as exc:
        return refused(exc, "/escalations/new")
    email = fields.get("email", "").strip()
    consent = fields.get("consent") == "yes"
    values = {"question": fields.get("question", ""), "email": email, "consent": consent}
    data: dict[str, Any] = {"question": values["question"], "consent": consent}
    if email:
        data["email"] = email
    body, errors = validate(EscalationIn, data)
    if errors:
        return _escalation_form(request, values, errors, status=422)
    try:
        created = await run_in_threadpool(
            services.escalations.submit,
            body.question,
            (),
            body.email,
            body.consent,
            f"form:{nonce}",
        )
    except IdempotencyMismatch:
        message = "This form was already sent with other details; send it again to ask anew."
        return _escalation_form(request, values, {"form": message}, status=422)
    except QAError as exc:
        return _escalation_form(request, values, {exc.field or "form": exc.message}, status_of(exc))
    page = render_page(
        "escalation_sent.html",
        title="Sent to the privacy team",
        reference=created.reference,
        email=body.email,
        reply_time=request.app.state.settings.reply_time,
        status_path=escalation_status_path(created.reference, created.status_token),
    )
    page.headers["cache-control"] = "no-store"
    return page


def _not_found(heading: str, what: str) -> Response:
    return render_page(
        "message_page.html",
        status=404,
        title=heading,
        heading=heading,
        lines=[
            f"There is no {what} with this reference and link. Open the status link "
            "we gave you, and check that you copied all of it."
        ],
        back="/contact",
        back_label="Contact the privacy team",
    )


@router.get("/escalations/{reference:esc_reference}")
def escalation_page(
    reference: str,
    services: ServicesDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The status page of a question sent to the privacy team: its status and their replies."""
    try:
        found = services.escalations.status(reference, token)
    except NotFound:
        page = _not_found("Question not found", "question")
    else:
        page = render_page(
            "escalation_status.html",
            title=f"Your question {found.reference}",
            escalation=found,
            status_label=ESCALATION_STATUS_TEXT.get(found.status, found.status),
            reply_time=settings.reply_time,
        )
    page.headers["cache-control"] = "no-store"
    return page
