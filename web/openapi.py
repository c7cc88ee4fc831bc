"""The refusals every operation can meet, declared once in the OpenAPI schema; and the support
API's routers, which share a key and their refusals.

The body limit, the rate limits and the error handlers answer for every route, so the statuses
they produce (400 unreadable body, 413 too large, 422 not valid, 429 too many) are written into
each operation they reach, in the one error shape, rather than repeated in every decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from web.deps import require_key
from web.middleware.throttle import bucket_for
from web.schemas import ErrorOut
from web.schemas.ask import AskIn

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
REFUSALS = {
    "400": "The body cannot be read: not UTF-8, or not JSON.",
    "413": "The request body is larger than 64 KiB.",
    "422": "A field is missing or not valid; the message names it.",
    "429": "Too many requests from this client just now; wait Retry-After seconds.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
# The refusals of the visitor's rights-request and escalation routes (and, with more, the
# support API's).
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

# FastAPI's own 422 body, which our error handler never sends.
_COMPONENTS = "#/components/schemas/"
_FASTAPI_422 = f"{_COMPONENTS}HTTPValidationError"

SUPPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorOut, "description": "No key, or a key that is not configured."},
    403: {"model": ErrorOut, "description": "The support API is off (no keys configured)."},
    409: {"model": ErrorOut, "description": "A status change the rules do not allow."},
}


def support_router(prefix: str = "/api/support") -> APIRouter:
    """A router for the privacy team's routes: each needs a support key (web/deps.py
    require_key), and says so in the OpenAPI document."""
    return APIRouter(
        prefix=prefix,
        tags=["support"],
        dependencies=[Depends(require_key)],
        responses=SUPPORT_ERRORS,
    )


def document_refusals(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the refusals of each operation declared (changed in place)."""
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            statuses = []
            if "requestBody" in operation:
                statuses += ["400", "413"]
            if "requestBody" in operation or operation.get("parameters"):
                statuses.append("422")
            if bucket_for(method.upper(), path) is not None:
                statuses.append("429")
            for status in statuses:
                declared = responses.get(status)
                if declared is None or _FASTAPI_422 in str(declared):
                    responses[status] = {"description": REFUSALS[status], "content": ERROR}
            if "429" in responses:
                responses["429"]["headers"] = RETRY_AFTER
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    declare_model(components, AskIn)
    if _FASTAPI_422 not in str(schema.get("paths")):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def operation_id(route: APIRoute) -> str:
    """The operationId of a route: its function's name (`list_rights_requests`), which a
    generated client makes its method name; FastAPI's default adds the path and method
    (`list_rights_requests_api_support_rights_requests_get`). tests/web/test_openapi.py holds
    that every id is unique and snake_case."""
    return route.name


def declare_model(components: dict[str, Any], model: type[BaseModel]) -> None:
    """Add `model` (and the models it uses) to the schema's components, for a route that
    reads its body itself and names the model by $ref."""
    schema = model.model_json_schema(ref_template=f"{_COMPONENTS}{{model}}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema


def document_section_ids(schema: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    """`schema` with the section ids a rights request may name listed (changed in place): they
    are the served policy's, so a client knows them and a generated one can check them."""
    model = schema.get("components", {}).get("schemas", {}).get("RightsRequestIn", {})
    sections = model.get("properties", {}).get("sections", {})
    for option in sections.get("anyOf", [sections]):
        if option.get("type") == "array":
            option["items"]["enum"] = ids
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make the app's /openapi.json declare the refusals and the policy's section ids (FastAPI
    builds it once, on demand)."""
    build: Callable[[], dict[str, Any]] = app.openapi
    documented: set[int] = set()

    def openapi() -> dict[str, Any]:
        schema = build()
        if id(schema) not in documented:
            document_refusals(schema)
            library = app.state.assistant.library
            ids = [s.id for p in library.documents.values() for s in p.sections]
            document_section_ids(schema, list(dict.fromkeys(ids)))
            documented.add(id(schema))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
