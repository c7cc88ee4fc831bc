"""The gap report for the privacy team: declined questions and unhelpful sections."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from qa.answering.gaps import DEFAULT_DAYS, DEFAULT_LIMIT, MAX_DAYS, gap_report
from web.deps import AssistantDep
from web.openapi import support_router
from web.responses import NO_STORE, JSONResponse
from web.schemas.gaps import GapReportOut
from web.services import ServicesDep

router = support_router()


@router.get("/gaps", response_model=GapReportOut, operation_id="get_gap_report")
def gaps(
    services: ServicesDep,
    assistant: AssistantDep,
    days: Annotated[
        int, Query(ge=1, le=MAX_DAYS, description="The last N days, today included (UTC).")
    ] = DEFAULT_DAYS,
    limit: Annotated[
        int, Query(ge=1, le=500, description="At most this many questions and sections.")
    ] = DEFAULT_LIMIT,
) -> Response:
    """Questions the assistant declined, most asked first (from the opt-in question log; says
    `question_log: "off"` when it is off), and sections found not helpful, most first."""
    assert services.questions is not None  # set in the lifespan that made `services`
    report = gap_report(
        services.store, assistant.library, services.questions.days, days, limit=limit
    )
    return JSONResponse(report.to_dict(), headers=NO_STORE)
