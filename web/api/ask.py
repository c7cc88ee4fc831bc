"""The JSON API: ask, the policy and its sections, the contact card, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import Response

from index.policy import Policy, Section
from qa.answering.assistant import MAX_QUESTION, MAX_TOP_K, Assistant
from qa.answering.cache import AnswerCache
from qa.errors import InvalidQuestion
from qa.storage.engine import StoreUnavailable
from web.deps import AnswersDep, AssistantDep
from web.metrics import record_answer
from web.responses import JSONResponse
from web.schemas import SOME_TEXT, ErrorOut
from web.schemas.ask import AnswerOut, AskIn, ContactOut, PolicyOut, SectionDetailOut
from web.schemas.common import StatusOut
from web.services import log_question

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Unknown document or section."},
    413: {"model": ErrorOut, "description": "The request body is too large."},
    422: {
        "model": ErrorOut,
        "description": "A field is missing or not valid; the message names it.",
    },
}


def _summary(assistant: Assistant, section: Section) -> dict[str, Any]:
    return {
        "id": section.id,
        "heading": section.heading,
        "path": list(section.path),
        "level": section.level,
        "url": assistant.section_url(section),
    }


def _document(assistant: Assistant, policy: Policy) -> dict[str, Any]:
    default = policy.name == assistant.library.default.name
    return {
        "name": policy.name,
        "title": policy.title,
        "date": policy.date,
        "authors": list(policy.authors),
        "last_updated": policy.last_updated,
        "version": policy.version,
        "url": "/policy" if default else f"/policy/{policy.name}",
        "sections": [_summary(assistant, s) for s in policy.sections],
    }


# The hot path reads its body itself: FastAPI's body and dependency machinery cost about a
# sixth of the request (README, Benchmarks) for the same pydantic validation, and errors go
# to the same handler as FastAPI's own.
ASK_BODY = {
    "requestBody": {
        "required": True,
        # A $ref, as FastAPI writes for the bodies it reads (web/openapi.py declares AskIn), so
        # that a generated client has one model named AskIn.
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskIn"}}},
    }
}


def _answered(
    request: Request, answers: AnswerCache, question: str, top_k: int, document: str | None
) -> Response:
    """The answer's JSON, counted in the metrics and logged (redacted) as both ask routes do."""
    answer, reply = answers.answer_json(question, top_k, document)
    record_answer(request, answer)
    log_question(request, question, answer, document)
    return Response(reply, media_type="application/json")


@router.post(
    "/api/ask",
    response_model=AnswerOut,
    responses=ERRORS,
    tags=["answers"],
    openapi_extra=ASK_BODY,
)
async def ask(request: Request) -> Response:
    """Answer a question with the policy's own sections, intents and next steps."""
    # The answer cache from app.state directly, not through a dependency: solving even one
    # dependency costs FastAPI more per request than the rest of this route's own work.
    answers: AnswerCache = request.app.state.answers
    try:
        body = AskIn.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    return _answered(request, answers, body.question, body.top_k, body.document)


@router.get(
    "/api/ask",
    response_model=AnswerOut,
    responses=ERRORS,
    tags=["answers"],
    operation_id="ask_by_query",
)
async def ask_get(
    request: Request,
    answers: AnswersDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUESTION,
            description="The question.",
            json_schema_extra=SOME_TEXT,
        ),
    ],
    top_k: Annotated[int, Query(ge=1, le=MAX_TOP_K, description="Sections at most.")] = 3,
    document: Annotated[str | None, Query(description="Search only this document.")] = None,
) -> Response:
    """The same as POST /api/ask, with the question in ?q=."""
    if not q.strip():  # checked here so that the error names ?q=, not the body's "question"
        raise InvalidQuestion(
            "q: must contain some text, not only spaces; send a question of 1 to "
            f"{MAX_QUESTION} characters in ?q=",
            "q",
        )
    return _answered(request, answers, q, top_k, document)


@router.get(
    "/api/policy",
    response_model=PolicyOut,
    responses=ERRORS,
    tags=["policy"],
    operation_id="get_policy",
)
async def policy(
    assistant: AssistantDep,
    document: Annotated[
        str | None, Query(description="A document name; default: the main one.")
    ] = None,
) -> Response:
    """A document's metadata and its sections, and the names of every document."""
    data = _document(assistant, assistant.document(document))
    data["documents"] = list(assistant.library.documents)
    return JSONResponse(data)


@router.get(
    "/api/policy/sections/{section_id}",
    response_model=SectionDetailOut,
    responses=ERRORS,
    tags=["policy"],
    operation_id="get_policy_section",
)
async def policy_section(
    section_id: str,
    assistant: AssistantDep,
    document: Annotated[
        str | None, Query(description="A document name; default: the main one.")
    ] = None,
) -> Response:
    """One section, verbatim Markdown and safe HTML."""
    section = assistant.section(section_id, document)
    data = _summary(assistant, section)
    data.update(
        document=section.document, markdown=section.markdown, html=assistant.section_html(section)
    )
    return JSONResponse(data)


@router.get("/api/contact", response_model=ContactOut, tags=["policy"], operation_id="get_contact")
async def contact(assistant: AssistantDep) -> Response:
    """How to reach the privacy team, as the policy's contact section gives it."""
    return JSONResponse(assistant.contact_card().to_dict())


@router.get("/healthz", response_model=StatusOut, tags=["health"])
async def healthz() -> Response:
    """The process is alive."""
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    response_model=StatusOut,
    responses={503: {"model": StatusOut, "description": "Not ready: loading, or no database."}},
    tags=["health"],
)
async def readyz(request: Request, assistant: AssistantDep) -> Response:
    """The policy index is loaded and answers, and the database can be reached."""
    ready = bool(assistant.documents) and all(
        d.ranker.sections for d in assistant.documents.values()
    )
    if not ready:
        return JSONResponse({"status": "loading"}, status_code=503)
    services = getattr(request.app.state, "services", None)
    if services is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    try:
        await run_in_threadpool(services.store.ping)
    except StoreUnavailable:
        # A load balancer stops sending here until the database is back; the process lives.
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ready"})
