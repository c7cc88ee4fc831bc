"""Domain errors and bad requests mapped to HTTP, all in one JSON shape: {"error": {...}}."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from qa.errors import (
    Conflict,
    IdempotencyMismatch,
    LinkNotValid,
    MailLimited,
    NoPrivacyMailbox,
    NotFound,
    QAError,
    TooManyRequests,
    UnknownDocument,
    UnknownSection,
)
from qa.storage.engine import StoreError, StoreUnavailable
from qa.vocabulary import JURISDICTIONS, RIGHTS, STATUSES, one_of
from web.responses import JSONResponse

log = logging.getLogger(__name__)

# nginx's "client closed request": no HTTP status means it, and nobody reads this one, but the
# access log and /metrics count it apart from our own failures (500).
CLIENT_CLOSED = 499

# Each domain error's HTTP status, the nearest class up the hierarchy deciding; QAError's own
# (a field the caller must fix) is 422. The domain names no status: this table is the mapping.
HTTP_STATUSES: dict[type[QAError], int] = {
    QAError: 422,
    UnknownDocument: 404,
    UnknownSection: 404,
    NotFound: 404,
    LinkNotValid: 404,
    Conflict: 409,
    MailLimited: 429,
    IdempotencyMismatch: 422,
    TooManyRequests: 429,
    NoPrivacyMailbox: 503,
    StoreError: 503,
    StoreUnavailable: 503,
}
# A verification link that was used or has expired is gone for good (410); one never issued is
# not found (404).
LINK_GONE = 410


def status_of(exc: QAError) -> int:
    """The HTTP status a domain error answers with."""
    if isinstance(exc, LinkNotValid) and exc.reason != "unknown":
        return LINK_GONE
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUSES:
            return HTTP_STATUSES[cls]
    return HTTP_STATUSES[QAError]


_FIXES = {
    "question": "send a question of 1 to 500 characters",
    "q": "send a question of 1 to 500 characters in ?q=",
    "top_k": "use a whole number from 1 to 20",
    "document": "use a document name from GET /api/policy",
    "right": f"use one of {', '.join(RIGHTS)}",
    "jurisdiction": f"use {one_of(JURISDICTIONS)}",
    "name": "give your name: 1 to 200 characters on one line",
    "email": "give one e-mail address such as ana@example.com",
    "details": "keep the details to 5000 characters",
    "consent": "send true to let the privacy team reply to the address",
    "transcript": 'send at most 10 turns of {"question": ..., "answer": ...}',
    "token": "use the whole link from the e-mail",
    "status": f"use {one_of(STATUSES)}",
    "reason": "give a reason of 1 to 2000 characters",
    "note": "give a note of 1 to 5000 characters",
    "questions": "send a list of 1 to 50 questions",
    "due_before": "use a date such as 2026-03-31",
    "idempotency-key": "use 1 to 255 visible ASCII characters, e.g. a UUID",
}
# Where a field means something else on one route, its fix there.
_ROUTE_FIXES = {
    "/api/support/examples": {
        "question": "send an example question of up to 500 characters, 3 of them not spaces",
        "section_id": "use a section id from GET /api/policy?document=...",
    },
    "/api/support/gaps": {"days": "use a whole number of days from 1 to 3660"},
}


def error_body(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    fields: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """The one error shape, for the routes and for what the server refuses before the app."""
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "field": field,
            "fields": list(fields),
        }
    }


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    fields: Sequence[dict[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """The error body every route uses."""
    body = error_body(status, code, message, field, fields)
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _describe(error: dict[str, Any], path: str = "") -> dict[str, str]:
    field = _field_name(error.get("loc", ()))
    fixes = {**_FIXES, **_ROUTE_FIXES.get(path, {})}
    kind = error.get("type", "")
    if kind == "json_invalid":
        return {
            "field": "body",
            "message": 'body: is not valid JSON; send a JSON object such as {"question": "..."}',
        }
    if kind in ("model_type", "model_attributes_type") or (kind == "dict_type" and field == "body"):
        return {
            "field": "body",
            "message": 'body: must be a JSON object such as {"question": "..."}',
        }
    if kind == "extra_forbidden":
        return {"field": field, "message": f"{field}: is not a known field; remove it"}
    if kind == "missing":
        return {"field": field, "message": f"{field}: is required; {fixes.get(field, 'add it')}"}
    msg = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    text = f"{field}: {msg[0].lower() + msg[1:] if msg else 'is not valid'}"
    hint = fixes.get(field)
    return {"field": field, "message": f"{text}; {hint}" if hint else text}


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    described = [_describe(e, request.url.path) for e in exc.errors()]
    unique = list({d["message"]: d for d in described}.values())
    first = unique[0] if unique else {"field": "body", "message": "the request is not valid"}
    return error_response(
        422, "invalid_request", "; ".join(d["message"] for d in unique), first["field"], unique
    )


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QAError)
    status = status_of(exc)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(status, exc.code, exc.message, exc.field, headers=headers)


_HTTP_CODES = {
    400: (
        "invalid_body",
        'body: cannot be read; send UTF-8 JSON such as {"question": "..."}',
    ),
    401: ("unauthorized", "send Authorization: Bearer KEY with a key from PRIVACY_QA_API_KEYS"),
    403: ("forbidden", "this route is not enabled"),
    404: ("not_found", "no such route; GET /docs lists the API"),
    405: ("method_not_allowed", "this route does not take that method; GET /docs lists the API"),
    413: ("body_too_large", "the request body is too large"),
    415: ("unsupported_media_type", "send the body as application/json"),
}


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, ClientDisconnect):
        # FastAPI reads a JSON body for its models itself, and makes any failure a 400.
        return await _disconnected(request, exc.__cause__)
    code, default = _HTTP_CODES.get(exc.status_code, ("http_error", "the request failed"))
    detail: str = exc.detail if isinstance(exc.detail, str) and exc.detail else default
    field = None
    if detail == "There was an error parsing the body":  # FastAPI's: names no field, no fix
        detail, field = default, "body"
    elif detail in ("Not Found", "Method Not Allowed"):
        detail = default
    headers = getattr(exc, "headers", None)
    routes = getattr(request.app.state, "routes", None)
    if exc.status_code == 405 and routes is not None:
        # Starlette names the methods of the first route at the path; a path can have several.
        headers = {**(headers or {}), "Allow": ", ".join(routes.methods(request.url.path))}
    return error_response(exc.status_code, code, detail, field, headers=headers)


async def _disconnected(request: Request, exc: Exception) -> Response:
    log.info("a client closed its connection before it had sent the whole request")
    return Response(status_code=CLIENT_CLOSED)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return error_response(
        500, "internal_error", "something went wrong on our side; please try again later"
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through error_response."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(QAError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ClientDisconnect, _disconnected)
    app.add_exception_handler(Exception, _unexpected)
