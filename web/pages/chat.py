"""The chat page at /: a question box that works without JavaScript (web/chatbox.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from web.chatbox import chat_values
from web.deps import AssistantDep
from web.templates import render_page

router = APIRouter(include_in_schema=False)


@router.get("/")
async def chat_page(
    request: Request,
    assistant: AssistantDep,
    q: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """The question box; with ?q= the answer is shown below it."""
    return render_page(
        "chat.html",
        title="Privacy questions",
        policy=assistant.library.default,
        **chat_values(request, q),
    )
