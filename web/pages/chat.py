"""The chat page at /: a question box that works without JavaScript (answers rendered here)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from qa.answering.assistant import ESCALATED_KINDS, MAX_QUESTION, SUGGESTIONS
from qa.errors import QAError
from web.api.metrics import record_answer
from web.deps import AssistantDep
from web.middleware.csrf import FormTokens
from web.pages.policy import render_page
from web.services import log_question

router = APIRouter(include_in_schema=False)

STARTERS = SUGGESTIONS

NEW_TAB = ' target="_blank" rel="noopener"'


def form_tokens(request: Request) -> FormTokens:
    """The app's form token signer (made by the app factory from PRIVACY_QA_FORM_SECRET)."""
    tokens: FormTokens = request.app.state.form_tokens
    return tokens


def _words(text: str) -> list[str]:
    return re.sub(r"[*_`#>]", "", text).split()


def chat_values(
    request: Request,
    q: str | None,
    *,
    mode: str = "page",
    ask_path: str = "/",
    hidden_fields: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """What _chat.html needs: the answer to ?q= (if any) and the forms' tokens."""
    answer = error = None
    if q is not None and q.strip():
        try:
            # The same cache of recent answers as the JSON API: starter questions repeat here too.
            answer = request.app.state.answers.answer(q[:MAX_QUESTION])
            record_answer(request, answer)
            log_question(request, q[:MAX_QUESTION], answer)
        except QAError as exc:
            error = exc.message
    extra = "&" + urlencode(hidden_fields) if hidden_fields else ""
    return {
        "mode": mode,
        "question": q or "",
        "answer": answer,
        "error": error,
        "starters": STARTERS,
        "max_question": MAX_QUESTION,
        "ask_path": ask_path,
        "hidden_fields": hidden_fields,
        "extra_query": extra,
        # In the widget's frame, links open a tab: the other pages may not be framed.
        "target": NEW_TAB if mode == "widget" else "",
        # A section the snippet quotes whole needs no "Read more".
        "whole_sections": {
            s.id
            for s in (answer.sections if answer else ())
            if _words(s.snippet) == _words(s.markdown)
        },
        "escalated_kinds": ESCALATED_KINDS,
        "escalation_token": form_tokens(request).issue("escalation")
        if answer is not None and answer.kind in ESCALATED_KINDS
        else None,
    }


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
