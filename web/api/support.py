"""The support tool's API: the privacy team's view of requests and escalations, behind a key."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.exceptions import HTTPException
from starlette.responses import Response

from qa.answering.assistant import MAX_QUESTION
from qa.casework.escalations import Escalation
from qa.casework.history import Change
from qa.casework.retention import erase_requester
from qa.casework.rights import MAX_REPLY
from qa.errors import QAError
from qa.vocabulary import EscalationStatus
from web.api.metrics import record_answer
from web.api.rights import ERRORS, Status, address
from web.deps import AssistantDep, SettingsDep
from web.paging import Limit, Offset, page_response
from web.responses import JSONResponse
from web.schemas import ADDRESS, SOME_TEXT, AnswerOut, ErrorOut, IsoDate, PageOut, TopK
from web.services import Services, ServicesDep

_bearer = HTTPBearer(auto_error=False, description="A key from PRIVACY_QA_API_KEYS.")
NO_STORE = {"Cache-Control": "no-store"}
MAX_BATCH = 50
NEEDS_REASON = ("extended", "denied")


def require_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Let the request through only with one of the configured keys; the key's name."""
    if not settings.api_keys:
        raise HTTPException(
            403,
            "the support API is off; set PRIVACY_QA_API_KEYS to one or more keys "
            "(comma-separated NAME:KEY, keys of 16 characters or more) and send "
            "Authorization: Bearer KEY",
        )
    given = credentials.credentials.encode() if credentials else b""
    # Every key is compared, in constant time, so timing tells nothing about which is near.
    matches = [hmac.compare_digest(given, k.key.encode()) for k in settings.api_keys]
    if not any(matches):
        raise HTTPException(
            401,
            "Authorization: send a key from PRIVACY_QA_API_KEYS as Authorization: Bearer KEY",
            headers={"WWW-Authenticate": 'Bearer realm="privacy-qa support"'},
        )
    return settings.api_keys[matches.index(True)].name


# The name of the key a request came with: what the history records as the actor. FastAPI
# runs the router's dependency once per request, so naming it again costs nothing.
KeyName = Annotated[str, Depends(require_key)]


SUPPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorOut, "description": "No key, or a key that is not configured."},
    403: {"model": ErrorOut, "description": "The support API is off (no keys configured)."},
    409: {"model": ErrorOut, "description": "A status change the rules do not allow."},
}

router = APIRouter(
    prefix="/api/support",
    tags=["support"],
    dependencies=[Depends(require_key)],
    responses=SUPPORT_ERRORS,
)


class ChangeOut(BaseModel):
    """One change in a case's history (no personal data)."""

    actor: str = Field(
        description="Who: a support key's name, requester, system, or cli:<login name>."
    )
    action: str = Field(
        description="created, verified, status_changed, assigned, note_added, replied, erased."
    )
    at: str
    details: dict[str, Any] = Field(
        description="old_status, new_status, assignee ('' when cleared), and flags: "
        "note_added, reason_given, reply_sent, mailed. Never a note's or reply's text."
    )


class ReplyOut(BaseModel):
    """A reply the privacy team sent the visitor."""

    at: str
    text: str


class PolicyShownOut(BaseModel):
    """The policy the visitor was shown: its document, version (hash) and date as written."""

    document: str | None
    version: str | None
    last_updated: str | None


class SupportRightsRequestOut(BaseModel):
    """A rights request with the requester's data, for the privacy team."""

    model_config = ConfigDict(extra="allow")

    reference: str
    right: str
    jurisdiction: str
    status: Status
    due_at: str
    name: str | None
    email: str | None
    allowed_statuses: list[str]
    policy: PolicyShownOut = Field(description="The policy the visitor was shown, if known.")
    sections: list[str] = Field(
        description="The ids of the sections the visitor was shown, if the request said."
    )
    history: list[ChangeOut] | None = Field(
        None, description="Who changed the request, what and when, oldest first (GET only)."
    )


class SupportRightsRequestListOut(PageOut):
    """Rights requests, soonest due first."""

    items: list[SupportRightsRequestOut]


class RightsRequestPatchIn(BaseModel):
    """A change by the privacy team: a new status (with a reason where needed, and a reply to
    the requester if wanted) and/or an internal note."""

    status: Status | None = Field(
        None, description="New status; extended and denied need a reason."
    )
    reason: str | None = Field(
        None, min_length=1, max_length=2000, description="Why (extension or denial)."
    )
    note: str | None = Field(
        None,
        min_length=1,
        max_length=5000,
        description="An internal note to add; notes never reach the requester.",
    )
    reply: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_REPLY,
        description="The team's message to the requester, in plain text: it goes in the mail "
        "that tells them of the new status (with their status link) and on their status page. "
        "Only with a new status.",
        json_schema_extra=SOME_TEXT,
    )

    # Leave a field out rather than send null; the schema says so, says at least one, and says
    # what is checked below: a reason goes with a status, and extended and denied need one.
    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda s: _patch_rules(s))

    @field_validator("status", "reason", "note", "reply", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave the field out instead of sending null")
        return value

    @model_validator(mode="after")
    def _something(self) -> RightsRequestPatchIn:
        if self.status is None and self.note is None and self.reason is None and not self.reply:
            raise ValueError("send at least one of status, reason, note, reply")
        if self.reply is not None and not self.reply.strip():
            raise ValueError("reply: write some text, not only spaces")
        return self


def _left_out_not_null(schema: dict[str, Any]) -> None:
    """A PATCH body's rules in its JSON Schema: fields are left out, never null; at least one."""
    for prop in schema.get("properties", {}).values():
        options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        elif options:
            prop["anyOf"] = options
        prop.pop("default", None)
    schema["minProperties"] = 1


def _patch_rules(schema: dict[str, Any]) -> None:
    """RightsRequestPatchIn's rules in its JSON Schema: those of every PATCH; a reason only
    with a status; extended and denied need one."""
    _left_out_not_null(schema)
    schema["dependentRequired"] = {"reason": ["status"], "reply": ["status"]}
    schema["if"] = {"required": ["status"], "properties": {"status": {"enum": list(NEEDS_REASON)}}}
    schema["then"] = {"required": ["reason"]}


class EscalationItemOut(BaseModel):
    """An escalation as the privacy team sees it."""

    reference: str
    status: EscalationStatus
    question: str | None
    transcript: list[dict[str, str]]
    email: str | None
    consent: bool
    created_at: str
    updated_at: str | None
    erased_at: str | None
    assignee: str | None
    notes: str | None = Field(description="Internal notes; never shown to the visitor.")
    replies: list[ReplyOut]
    policy: PolicyShownOut
    sections: list[str] = Field(description="The ids of the sections the visitor was shown.")


class SupportEscalationOut(EscalationItemOut):
    """One escalation with its history."""

    history: list[ChangeOut]


class EscalationRepliedOut(SupportEscalationOut):
    """The escalation after the reply, and whether a mail to the visitor was queued."""

    mailed: bool = Field(
        description="False when the visitor left no address to reply to: the reply is only "
        "on their status page."
    )


class EscalationPatchIn(BaseModel):
    """A change by the privacy team: a status, an assignee and/or an internal note."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda s: _left_out_not_null(s))

    status: EscalationStatus | None = Field(None, description="open, answered or closed.")
    assignee: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Who on the team has it (a name like a key's, e.g. alice); '' for nobody.",
    )
    note: str | None = Field(
        None, min_length=1, max_length=5000, description="An internal note to add."
    )

    @field_validator("status", "assignee", "note", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave the field out instead of sending null")
        return value

    @model_validator(mode="after")
    def _something(self) -> EscalationPatchIn:
        if self.status is None and self.assignee is None and self.note is None:
            raise ValueError("send at least one of status, assignee, note")
        return self


class EscalationReplyIn(BaseModel):
    """The team's answer to the visitor."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_REPLY,
        description="The reply, as the visitor will read it (mail and status page).",
        json_schema_extra=SOME_TEXT,
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must contain some text, not only spaces")
        return value


class EscalationListOut(PageOut):
    """Escalations, newest first."""

    items: list[EscalationItemOut]


class LoggedQuestionOut(BaseModel):
    """One redacted question of the question log."""

    id: int
    question: str
    day: str
    answered: bool
    confidence: float
    section: str | None
    document: str | None
    kind: str | None = Field(
        description="The kind of answer it got (answer, related, silent, not_covered, "
        "off_topic, no_terms, social); null for questions logged before it was kept."
    )


class QuestionLogOut(PageOut):
    """Logged questions, newest first."""

    items: list[LoggedQuestionOut]


class BatchAskIn(BaseModel):
    """Questions to answer in one call."""

    model_config = ConfigDict(extra="forbid")

    questions: list[
        Annotated[str, Field(min_length=1, max_length=MAX_QUESTION, json_schema_extra=SOME_TEXT)]
    ] = Field(min_length=1, max_length=MAX_BATCH)
    top_k: TopK = 3

    @field_validator("questions")
    @classmethod
    def _each(cls, values: list[str]) -> list[str]:
        for i, value in enumerate(values):
            if not value.strip() or len(value) > MAX_QUESTION:
                raise ValueError(
                    f"question {i + 1} must have 1 to {MAX_QUESTION} characters of text"
                )
        return values


class BatchAnswerOut(BaseModel):
    """One answer per question, in order."""

    answers: list[AnswerOut]


class EraseIn(BaseModel):
    """Whose personal data to erase."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, json_schema_extra=ADDRESS)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return address(value, "email")


class ErasedOut(BaseModel):
    """How many records lost their personal data."""

    rights_requests: int
    escalations: int
    mails: int = Field(description="Mail records emptied (sent or not).")
    mail_files: int = Field(
        description="Mail files (.eml, .eml.fernet) deleted from the mail folder; 0 with SMTP."
    )


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
    services.sender.wake()
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
    services.sender.wake()
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
