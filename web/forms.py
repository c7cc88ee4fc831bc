"""What the visitor forms share (web/pages/rights_forms.py, rights_status.py,
escalation_form.py): reading a POST checked against forgery (web/middleware/csrf.py), one
message per field in a visitor's words, the pages for a refused form or a form that is off,
and the URL convertors that keep /rights-requests/new and /escalations/new from being read as
references.

Each POST is an ordinary form, validated by the same models as the JSON API (web/schemas/) and
handed to the same services, so both paths behave alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response

from qa.errors import NoPrivacyMailbox
from web.deps import form_tokens
from web.middleware.csrf import FormRefused, check_same_origin, origin_of
from web.templates import render_page

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


def refused(exc: FormRefused, back: str) -> Response:
    return render_page(
        "message_page.html",
        status=403,
        title="The form was not sent",
        heading="The form was not sent",
        lines=[exc.message[:1].upper() + exc.message[1:] + "."],
        back=back,
        back_label="Back to the form",
    )


def validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def requests_off(what: str) -> Response:
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


def no_store(page: Response) -> Response:
    page.headers["cache-control"] = "no-store"
    return page
