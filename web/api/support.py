"""The support tool's API: the privacy team's view of requests and escalations, behind a key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from qa.casework.escalations import Escalation
from qa.casework.history import Change
from qa.casework.retention import erase_requester
from qa.errors import QAError
from web.deps import AssistantDep, KeyName
from web.metrics import record_answer
from web.openapi import support_router
from web.paging import Limit, Offset, page_response
from web.responses import NO_STORE, JSONResponse
from web.schemas import IsoDate
from web.schemas.escalations import (
    EscalationListOut,
    EscalationPatchIn,
    EscalationRepliedOut,
    EscalationReplyIn,
    SupportEscalationOut,
)
from web.schemas.rights import Status
from web.schemas.support import (
    NEEDS_REASON,
    BatchAnswerOut,
    BatchAskIn,
    ErasedOut,
    EraseIn,
    QuestionLogOut,
    RightsRequestPatchIn,
    SupportRightsRequestListOut,
    SupportRightsRequestOut,
)
from web.services import Services, ServicesDep

router = support_router()


@router.get("/rights-requests", response_model=SupportRightsRequestListOut)
def list_rights_requests(
    services: ServicesDep,
    status: Annotated[Status | None, Query(description="Only requests with this status.")] = None,
    due_before: Annotated[
        IsoDate | None, Query(description="Only requests due before this date (YYYY-MM-DD).")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Rights requests, soonest due first, filtered by status and due date."""
    items = services.rights.list(status, due_before, limit, offset)
    total = services.rights.count(status, due_before)
    return page_response([r.support_dict() for r in items], total, limit, offset)


def _history(changes: tuple[Change, ...]) -> list[dict[str, Any]]:
    return [c.to_dict() for c in changes]


@router.get("/rights-requests/{reference}", response_model=SupportRightsRequestOut)
def get_rights_request(reference: str, services: ServicesDep) -> Response:
    """One rights request with the requester's data, the statuses it may move to, what the
    visitor was shown and the history of its changes."""
    data = services.rights.get(reference).support_dict()
    data["history"] = _history(services.rights.history(reference))
    return JSONResponse(data, headers=NO_STORE)


@router.patch("/rights-requests/{reference}", response_model=SupportRightsRequestOut)
def update_rights_request(
    reference: str, body: RightsRequestPatchIn, services: ServicesDep, actor: KeyName
) -> Response:
    """Change the status (extended and denied need a reason; a reply goes to the requester
    with it) and/or add an internal note."""
    if body.status in NEEDS_REASON and body.reason is None:
        # Even when the request has that status already, as the schema says.
        raise QAError(f"reason: a status of {body.status} needs a reason", "reason")
    updated = services.rights.update(
        reference,
        status=body.status,
        reason=body.reason,
        note=body.note,
        reply=body.reply,
        actor=actor,
    )
    return JSONResponse(updated.support_dict(), headers=NO_STORE)


@router.get("/escalations", response_model=EscalationListOut)
def list_escalations(
    services: ServicesDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Escalations, newest first."""
    items = services.escalations.list(limit, offset)
    total = services.escalations.count()
    return page_response([e.to_dict() for e in items], total, limit, offset)


def _escalation(services: Services, escalation: Escalation) -> dict[str, Any]:
    history = services.escalations.history(escalation.reference)
    return {**escalation.to_dict(), "history": _history(history)}


@router.get("/escalations/{reference}", response_model=SupportEscalationOut)
def get_escalation(reference: str, services: ServicesDep) -> Response:
    """One escalation: the question, the case, the replies, what the visitor was shown, and
    the history of its changes."""
    return JSONResponse(
        _escalation(services, services.escalations.get(reference)), headers=NO_STORE
    )


@router.patch("/escalations/{reference}", response_model=SupportEscalationOut)
def update_escalation(
    reference: str, body: EscalationPatchIn, services: ServicesDep, actor: KeyName
) -> Response:
    """Change the status (open, answered, closed), the assignee ('' for none) and/or add an
    internal note."""
    updated = services.escalations.update(
        reference, status=body.status, assignee=body.assignee, note=body.note, actor=actor
    )
    return JSONResponse(_escalation(services, updated), headers=NO_STORE)


@router.post("/escalations/{reference}/reply", response_model=EscalationRepliedOut)
def reply_to_escalation(
    reference: str, body: EscalationReplyIn, services: ServicesDep, actor: KeyName
) -> Response:
    """Answer the visitor: by mail when they left an address, and on their status page; the
    escalation becomes answered."""
    updated, mailed = services.escalations.reply(reference, body.text, actor=actor)
    return JSONResponse({**_escalation(services, updated), "mailed": mailed}, headers=NO_STORE)


@router.get("/question-log", response_model=QuestionLogOut)
def list_question_log(
    services: ServicesDep,
    answered: Annotated[
        bool | None, Query(description="false: only the declined questions (the policy's gaps).")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """The anonymised question log (PRIVACY_QA_QUESTION_LOG_DAYS), newest first."""
    assert services.questions is not None  # set in the lifespan that made `services`
    items = services.questions.recent(answered, limit, offset)
    total = services.questions.count(answered)
    return page_response([q.to_dict() for q in items], total, limit, offset)


@router.post("/ask", response_model=BatchAnswerOut)
async def ask_batch(request: Request, body: BatchAskIn, assistant: AssistantDep) -> Response:
    """Answer a list of questions with the same answer path as the chat."""
    answers = [assistant.answer(q, body.top_k) for q in body.questions]
    for answer in answers:
        record_answer(request, answer)
    return JSONResponse({"answers": [a.to_dict() for a in answers]})


@router.post("/erase", response_model=ErasedOut)
def erase(body: EraseIn, services: ServicesDep, actor: KeyName) -> Response:
    """Erase one person's data (by e-mail) from every request, escalation and mail; their
    history stays, naming the key that erased it."""
    erased = erase_requester(
        services.store, body.email, mail=services.outbox.transport, actor=actor
    )
    return JSONResponse(erased.to_dict())
