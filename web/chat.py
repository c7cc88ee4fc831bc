"""The chat page at /: a question box that works without JavaScript (answers rendered here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from qa.assistant import MAX_QUESTION
from qa.errors import QAError
from web.deps import AssistantDep
from web.pages import render_page

router = APIRouter(include_in_schema=False)

STARTERS = (
    "How long do you keep my data?",
    "What data do you collect about me?",
    "How can I delete my data?",
    "Who do I contact about privacy?",
)


@router.get("/")
async def chat_page(
    assistant: AssistantDep,
    q: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """The question box; with ?q= the answer is shown below it."""
    answer = error = None
    if q is not None and q.strip():
        try:
            answer = assistant.answer(q[:MAX_QUESTION] if len(q) > MAX_QUESTION else q)
        except QAError as exc:
            error = exc.message
    return render_page(
        "chat.html",
        title="Privacy questions",
        question=q or "",
        answer=answer,
        error=error,
        starters=STARTERS,
        max_question=MAX_QUESTION,
        policy=assistant.library.default,
    )
