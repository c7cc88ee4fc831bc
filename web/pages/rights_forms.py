"""The rights-request form at /rights-requests/new, which works without JavaScript: one form for
every right, with each law's deadline for the chosen right, sent as POST /api/rights-requests
would be (web/forms.py reads and checks it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from qa.casework.deadlines import QUICK_RIGHTS, deadline_lines
from qa.casework.links import request_status_path as status_path
from qa.errors import IdempotencyMismatch, QAError
from qa.vocabulary import (
    JURISDICTION_CHOICES,
    JURISDICTION_LABELS,
    JURISDICTIONS,
    RIGHT_CHOICES,
    RIGHTS,
)
from web.deps import form_tokens
from web.errors import status_of
from web.forms import accept_form, refused, requests_off, validate
from web.middleware.csrf import FormRefused
from web.schemas.rights import RightsRequestIn
from web.services import ServicesDep
from web.templates import render_page

router = APIRouter(include_in_schema=False)

# One right of each deadline rule: the form holds each rule's text for every law.
DEADLINE_KINDS = ("access", "opt_out", "limit")


def today() -> date:
    """Today in UTC, the calendar the deadlines are kept in."""
    return datetime.now(UTC).date()


def _deadline_key(right: str, jurisdiction: str) -> str:
    # web/static/forms.js builds the same keys to show the chosen right's deadline.
    return f"{jurisdiction}:{right if right in QUICK_RIGHTS else 'request'}"


def _rights_form(
    request: Request, values: Mapping[str, str], errors: Mapping[str, str], status: int = 200
) -> Response:
    right = values.get("right", "")
    jurisdiction = values.get("jurisdiction", "")
    jurisdiction = jurisdiction if jurisdiction in JURISDICTIONS else "other"
    on = today()
    all_deadlines = {
        _deadline_key(r, j): deadline_lines(r, j, on) for j in JURISDICTIONS for r in DEADLINE_KINDS
    }
    titles = {
        _deadline_key(r, j): f"{JURISDICTION_LABELS[j]}: "
        + {"opt_out": "an opt-out", "limit": "a request to limit"}.get(r, "other requests")
        for j in JURISDICTIONS
        for r in DEADLINE_KINDS
    }
    return render_page(
        "rights_request_new.html",
        status=status,
        title="Make a privacy request",
        token=form_tokens(request).issue("rights-request"),
        values={**values, "right": right, "jurisdiction": jurisdiction},
        errors=dict(errors),
        rights=[("", "Choose a request"), *RIGHT_CHOICES.items()],
        jurisdictions=list(JURISDICTION_CHOICES.items()),
        deadline=all_deadlines[_deadline_key(right, jurisdiction)],
        all_deadlines=all_deadlines,
        deadline_titles=titles,
    )


@router.get("/rights-requests/new")
async def new_rights_request(
    request: Request,
    services: ServicesDep,
    right: Annotated[str | None, Query(max_length=40)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=40)] = None,
    question: Annotated[str | None, Query(max_length=500)] = None,
    sections: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """One form for every right; ?right= and ?jurisdiction= choose the options; ?sections=
    (comma-separated ids, as the chat sends them) says what the visitor read."""
    if services.rights.privacy_email is None:
        return requests_off("Making a privacy request")
    values = {
        "right": right if right in RIGHTS else "",
        "jurisdiction": jurisdiction or "other",
        "name": "",
        "email": "",
        "details": "",
        "question": question or "",
        "sections": sections or "",
    }
    return _rights_form(request, values, {})


@router.post("/rights-requests/new")
async def send_rights_request(request: Request, services: ServicesDep) -> Response:
    """Take the form, make the request as POST /api/rights-requests does, show its status."""
    try:
        fields, nonce = await accept_form(request, "rights-request")
    except FormRefused as exc:
        return refused(exc, "/rights-requests/new")
    values = {name: fields.get(name, "") for name in ("right", "jurisdiction", "name", "email")}
    values["details"] = fields.get("details", "")
    values["question"] = fields.get("question", "")
    values["sections"] = fields.get("sections", "")
    optional = ("details", "question", "sections")
    data: dict[str, Any] = {k: v for k, v in values.items() if v or k not in optional}
    if "sections" in data:
        data["sections"] = [i.strip() for i in data["sections"].split(",") if i.strip()]
    body, errors = validate(RightsRequestIn, data)
    if errors:
        return _rights_form(request, values, errors, status=422)
    try:
        created = await run_in_threadpool(services.rights.submit, body.to_intake(), f"form:{nonce}")
    except IdempotencyMismatch:
        errors = {
            "form": "This form was already sent with other details. Check them and send it "
            "again to make a new request."
        }
        return _rights_form(request, values, errors, status=422)
    except QAError as exc:
        return _rights_form(request, values, {exc.field or "form": exc.message}, status_of(exc))
    sent = "1" if created.mailed else "0"  # 0: the mail limit withheld the mail
    return RedirectResponse(
        status_path(created.reference, created.status_token) + f"&sent={sent}",
        status_code=303,
        headers={"cache-control": "no-store"},
    )
