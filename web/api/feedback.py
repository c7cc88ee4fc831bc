"""POST /api/feedback: 'Was this helpful?', counted per section and day and nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from qa.answering.feedback import FeedbackCounts
from web import openapi
from web.deps import AssistantDep
from web.responses import JSONResponse
from web.schemas import ErrorOut
from web.schemas.common import StatusOut
from web.schemas.feedback import FeedbackCountsOut, FeedbackIn
from web.services import ServicesDep

router = APIRouter()
# The counts are for the privacy team: behind the support API's keys.
support_router = openapi.support_router()


async def get_feedback(services: ServicesDep) -> FeedbackCounts:
    """The app's feedback counts (in its database)."""
    return services.feedback


FeedbackDep = Annotated[FeedbackCounts, Depends(get_feedback)]


@router.post(
    "/api/feedback",
    operation_id="send_feedback",
    response_model=StatusOut,
    responses={
        404: {"model": ErrorOut, "description": "Unknown document or section."},
        422: {"model": ErrorOut, "description": "A field is missing or not valid."},
        503: {"model": ErrorOut, "description": "The database cannot be reached right now."},
    },
    tags=["answers"],
)
async def feedback(body: FeedbackIn, assistant: AssistantDep, counts: FeedbackDep) -> Response:
    """Count a yes or no for a section today; nothing about the visitor is kept."""
    section = assistant.section(body.section_id, body.document)
    await run_in_threadpool(counts.record, section.document, section.id, body.helpful)
    return JSONResponse({"status": "counted"})


@support_router.get(
    "/feedback", response_model=FeedbackCountsOut, operation_id="get_feedback_counts"
)
def feedback_counts(counts: FeedbackDep) -> Response:
    """'Was this helpful?' counts per section and day, oldest first (from every worker)."""
    return JSONResponse({"counts": [c.to_dict() for c in counts.counts()]})
