"""Visitor forms that work without JavaScript: rights requests, their status, asking a person.

Each POST is an ordinary form, checked against forgery (web/middleware/csrf.py), validated by the
same
models as the JSON API and handed to the same services, so both paths behave alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import RedirectResponse, Response

from qa.casework.deadlines import QUICK_RIGHTS, deadline_lines
from qa.casework.links import escalation_status_path
from qa.casework.links import request_status_path as status_path
from qa.casework.mail_limit import PERIOD_WORDS
from qa.casework.request import RightsRequest
from qa.casework.transitions import NO_VERIFICATION, WITHDRAWABLE
from qa.errors import BadTransition, IdempotencyMismatch, NoPrivacyMailbox, NotFound, QAError
from qa.vocabulary import (
    ESCALATION_STATUS_TEXT,
    JURISDICTION_CHOICES,
    JURISDICTION_LABELS,
    JURISDICTIONS,
    RIGHT_CHOICES,
    RIGHTS,
    STATUS_TEXT,
)
from web.api.escalations import EscalationIn
from web.api.rights import RightsRequestIn
from web.deps import SettingsDep
from web.errors import status_of
from web.middleware.csrf import FormRefused, check_same_origin, origin_of
from web.pages.chat import form_tokens
from web.pages.policy import render_page
from web.services import ServicesDep

router = APIRouter(include_in_schema=False)

FIELD_LABELS = {
    "right": "What would you like us to do",
    "jurisdiction": "Which privacy law applies",
    "name": "Your full name",
    "email": "Your e-mail address",
    "details": "Details",
    "question": "Your question",
    "consent": "Permission to reply",
    "transcript": "Conversation",
    "sections": "The policy sections you read",
}
MAX_FORM_FIELDS = 20
_REFERENCE = "RR-[0-9]{4}-[0-9]{1,12}"
_ESC_REFERENCE = "ESC-[0-9]{4}-[0-9]{1,12}"
# One right of each deadline rule: the form holds each rule's text for every law.
DEADLINE_KINDS = ("access", "opt_out", "limit")


class ReferenceConvertor(Convertor[str]):
    """A rights-request reference (RR-2026-000123): /rights-requests/new is not one."""

    regex = _REFERENCE

    def convert(self, value: str) -> str:
        """The reference as given."""
        return value

    def to_string(self, value: str) -> str:
        """The reference as given."""
        return value


class EscalationReferenceConvertor(ReferenceConvertor):
    """An escalation's reference (ESC-2026-000001): /escalations/new is not one."""

    regex = _ESC_REFERENCE


register_url_convertor("rr_reference", ReferenceConvertor())
register_url_convertor("esc_reference", EscalationReferenceConvertor())


# -- helpers ------------------------------------------------------------------------------


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded fields of a POST (the last value of a repeated field wins)."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise FormRefused("the form could not be read; reload the page and send it again") from None
    return dict(pairs)


async def accept_form(request: Request, purpose: str) -> tuple[dict[str, str], str]:
    """The fields and the token's nonce of a POST from our own page with a fresh token for
    `purpose`; else FormRefused."""
    settings = request.app.state.settings
    own = (origin_of(str(request.base_url)), origin_of(settings.public_url))
    check_same_origin(request.headers, own)
    fields = await read_form(request)
    return fields, form_tokens(request).check(fields.get("token"), purpose)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One message per field, in words a visitor can act on."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc", ())
        name = str(loc[0]) if loc else "form"
        label = FIELD_LABELS.get(name, name)
        kind = error.get("type", "")
        if kind in ("missing", "string_too_short") and name != "email":
            message = f"{label}: please fill this in"
        elif kind == "literal_error":
            message = f"{label}: please choose one of the options"
        else:
            text = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
            message = f"{label}: {text[:1].lower()}{text[1:]}"
        errors.setdefault(name, message)
    return errors


def _refused(exc: FormRefused, back: str) -> Response:
    return render_page(
        "message_page.html",
        status=403,
        title="The form was not sent",
        heading="The form was not sent",
        lines=[exc.message[:1].upper() + exc.message[1:] + "."],
        back=back,
        back_label="Back to the form",
    )


def _validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)


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


def _requests_off(what: str) -> Response:
    """The page in place of a form whose request would have nowhere to go (503)."""
    return render_page(
        "message_page.html",
        status=503,
        title=f"{what} is not available",
        heading=f"{what} is not available",
        lines=[
            "This site cannot take it yet: it has no address for the privacy team. Please use "
            "the contact details in the privacy policy.",
            NoPrivacyMailbox().message[:1].upper() + NoPrivacyMailbox().message[1:] + ".",
        ],
        back="/contact",
        back_label="Contact details",
    )


# -- rights requests ----------------------------------------------------------------------


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
        return _requests_off("Making a privacy request")
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
        return _refused(exc, "/rights-requests/new")
    values = {name: fields.get(name, "") for name in ("right", "jurisdiction", "name", "email")}
    values["details"] = fields.get("details", "")
    values["question"] = fields.get("question", "")
    values["sections"] = fields.get("sections", "")
    optional = ("details", "question", "sections")
    data: dict[str, Any] = {k: v for k, v in values.items() if v or k not in optional}
    if "sections" in data:
        data["sections"] = [i.strip() for i in data["sections"].split(",") if i.strip()]
    body, errors = _validate(RightsRequestIn, data)
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
    services.sender.wake()
    sent = "1" if created.mailed else "0"  # 0: the mail limit withheld the mail
    return RedirectResponse(
        status_path(created.reference, created.status_token) + f"&sent={sent}",
        status_code=303,
        headers={"cache-control": "no-store"},
    )


def _not_found_page() -> Response:
    return render_page(
        "message_page.html",
        status=404,
        title="Request not found",
        heading="Request not found",
        lines=[
            "There is no request with this reference and link. Open the status link from "
            "the e-mail we sent you, and check that you copied all of it."
        ],
        back="/contact",
        back_label="Contact the privacy team",
    )


def _no_store(page: Response) -> Response:
    page.headers["cache-control"] = "no-store"
    return page


@router.get("/rights-requests/{reference:rr_reference}")
def rights_request_page(
    request: Request,
    reference: str,
    services: ServicesDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=200)] = "",
    sent: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    """The status page behind a request's status link: its dates and the team's words, a new
    verification link while it waits for one, and a way to withdraw it while it is open."""
    try:
        found = services.rights.status(reference, token)
    except NotFound:
        return _no_store(_not_found_page())
    tokens = form_tokens(request)
    waiting = found.status == "received" and found.right not in NO_VERIFICATION
    page = render_page(
        "rights_request_status.html",
        title=f"Privacy request {found.reference}",
        request=found,
        just_sent=sent is not None,
        mailed=sent != "0",
        needs_verification=found.right not in NO_VERIFICATION,
        verification_hours=settings.verification_ttl_hours,
        right_label=RIGHT_CHOICES.get(found.right, found.right),
        jurisdiction_label=JURISDICTION_LABELS.get(found.jurisdiction, found.jurisdiction),
        status_label=(
            "Received"
            if found.status == "received" and found.right in NO_VERIFICATION
            else STATUS_TEXT.get(found.status, found.status)
        ),
        status_token=token,
        can_resend=waiting,
        resend_token=tokens.issue("rights-resend") if waiting else None,
        can_withdraw=found.status in WITHDRAWABLE,
        withdraw_token=tokens.issue("rights-withdraw") if found.status in WITHDRAWABLE else None,
    )
    return _no_store(page)


def _status_back(reference: str, status_token: str) -> tuple[str, str]:
    """Where an outcome page leads back to: the status page when the caller holds its token."""
    if status_token:
        return status_path(reference, status_token), "Back to your request"
    return "/contact", "Contact the privacy team"


def _resent_lines(found: RightsRequest, outcome: str, hours: int, limit_words: str) -> list[str]:
    label = {"denied": "declined"}.get(found.status, found.status)
    return {
        "sent": [
            f"We have sent a new confirmation link for request {found.reference} to the address "
            f"you gave. Open it within {hours} hours; the links we sent before no longer work.",
            "If it does not arrive in a few minutes, look in your spam folder.",
        ],
        "confirmed": [
            f"Your e-mail address is confirmed already: request {found.reference} is with our "
            "privacy team, and there is nothing more to do."
        ],
        "not_needed": [f"Request {found.reference} needs no confirmation of your address."],
        "closed": [
            f"Request {found.reference} is {label}, so it needs no confirmation. To ask again, "
            "make a new request."
        ],
        "limited": [
            f"We cannot send another e-mail to this address now: it has had as many from us as "
            f"we send one address {limit_words}. Please try again later, or contact the privacy "
            f"team and give your reference, {found.reference}."
        ],
    }[outcome]


RESENT_HEADINGS = {
    "sent": "A new link is on its way",
    "confirmed": "Already confirmed",
    "not_needed": "No confirmation needed",
    "closed": "No confirmation needed",
    "limited": "We cannot send another e-mail yet",
}


@router.post("/rights-requests/{reference:rr_reference}/resend")
async def resend_rights_request_link(
    request: Request, reference: str, services: ServicesDep, settings: SettingsDep
) -> Response:
    """Send a new verification link, from the status page (status token) or from the page of
    an expired link (that link's token); a page for every outcome."""
    try:
        fields, _ = await accept_form(request, "rights-resend")
    except FormRefused as exc:
        return _refused(exc, "/contact")
    status_token = fields.get("status_token", "")[:200]
    link = fields.get("link", "")[:200] or None
    try:
        resent = await run_in_threadpool(
            services.rights.resend_verification,
            reference,
            token=status_token or None,
            link=link,
        )
    except NotFound:
        return _no_store(_not_found_page())
    services.sender.wake()
    limit = services.rights.mail_limit
    # Only a limit that is on withholds a link, so `limit` is set when the words are used.
    limit_words = f"in a {PERIOD_WORDS[limit.per]}" if limit is not None else ""
    back, back_label = _status_back(reference, status_token)
    page = render_page(
        "message_page.html",
        status=429 if resent.outcome == "limited" else 200,
        title=RESENT_HEADINGS[resent.outcome],
        heading=RESENT_HEADINGS[resent.outcome],
        lines=_resent_lines(
            resent.request, resent.outcome, settings.verification_ttl_hours, limit_words
        ),
        back=back,
        back_label=back_label,
    )
    return _no_store(page)


@router.post("/rights-requests/{reference:rr_reference}/withdraw")
async def withdraw_rights_request(
    request: Request, reference: str, services: ServicesDep
) -> Response:
    """Withdraw an open request from its status page (the box ticked to confirm); back to the
    status page, which then shows it withdrawn."""
    try:
        fields, _ = await accept_form(request, "rights-withdraw")
    except FormRefused as exc:
        return _refused(exc, "/contact")
    status_token = fields.get("status_token", "")[:200]
    back, back_label = _status_back(reference, status_token)
    if fields.get("confirm") != "yes":
        page = render_page(
            "message_page.html",
            status=422,
            title="Not withdrawn",
            heading="Your request was not withdrawn",
            lines=["Tick the box to confirm that you want to withdraw it, then send again."],
            back=back,
            back_label=back_label,
        )
        return _no_store(page)
    try:
        await run_in_threadpool(services.rights.withdraw, reference, status_token)
    except NotFound:
        return _no_store(_not_found_page())
    except BadTransition as exc:
        page = render_page(
            "message_page.html",
            status=409,
            title="Not withdrawn",
            heading="This request cannot be withdrawn",
            lines=[exc.message.removeprefix("status: ").capitalize() + "."],
            back=back,
            back_label=back_label,
        )
        return _no_store(page)
    services.sender.wake()
    return RedirectResponse(back, status_code=303, headers={"cache-control": "no-store"})


# -- escalations --------------------------------------------------------------------------


@router.get("/escalations/new")
async def new_escalation(
    request: Request,
    services: ServicesDep,
    question: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """A form to ask a person on the privacy team; ?question= fills it in."""
    if services.escalations.privacy_email is None:
        return _requests_off("Asking the privacy team")
    return _escalation_form(request, {"question": question or "", "email": ""}, {})


@router.post("/escalations/new")
async def send_escalation(request: Request, services: ServicesDep) -> Response:
    """Take the form and hand the question to the privacy team, as POST /api/escalations does."""
    try:
        fields, nonce = await accept_form(request, "escalation")
    except FormRefused as exc:
        return _refused(exc, "/escalations/new")
    email = fields.get("email", "").strip()
    consent = fields.get("consent") == "yes"
    values = {"question": fields.get("question", ""), "email": email, "consent": consent}
    data: dict[str, Any] = {"question": values["question"], "consent": consent}
    if email:
        data["email"] = email
    body, errors = _validate(EscalationIn, data)
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
    services.sender.wake()
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
