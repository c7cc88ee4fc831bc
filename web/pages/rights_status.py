"""The pages behind the links a rights request's requester holds: the status page (its dates
and the team's words, a new verification link, withdrawal), what resending and withdrawing
answer, and the page the verification link opens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from qa.casework.links import request_status_path as status_path
from qa.casework.mail_limit import PERIOD_WORDS
from qa.casework.request import RightsRequest
from qa.casework.transitions import NO_VERIFICATION, WITHDRAWABLE
from qa.errors import BadTransition, LinkNotValid, NotFound
from qa.vocabulary import JURISDICTION_LABELS, RIGHT_CHOICES, STATUS_TEXT
from web.deps import SettingsDep, form_tokens
from web.errors import status_of
from web.forms import accept_form, no_store, refused
from web.middleware.csrf import FormRefused
from web.responses import NO_STORE
from web.services import ServicesDep
from web.templates import render_page

router = APIRouter(include_in_schema=False)


@router.get("/rights-requests/verify")
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
        page = render_page(
            "rights_verify.html",
            title="Request confirmed",
            ok=True,
            request=confirmed,
        )
    page.headers.update(NO_STORE)
    return page


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
        return no_store(_not_found_page())
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
    return no_store(page)


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
        return refused(exc, "/contact")
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
        return no_store(_not_found_page())
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
    return no_store(page)


@router.post("/rights-requests/{reference:rr_reference}/withdraw")
async def withdraw_rights_request(
    request: Request, reference: str, services: ServicesDep
) -> Response:
    """Withdraw an open request from its status page (the box ticked to confirm); back to the
    status page, which then shows it withdrawn."""
    try:
        fields, _ = await accept_form(request, "rights-withdraw")
    except FormRefused as exc:
        return refused(exc, "/contact")
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
        return no_store(page)
    try:
        await run_in_threadpool(services.rights.withdraw, reference, status_token)
    except NotFound:
        return no_store(_not_found_page())
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
        return no_store(page)
    return RedirectResponse(back, status_code=303, headers={"cache-control": "no-store"})
