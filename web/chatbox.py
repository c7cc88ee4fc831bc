"""What the chat box shows, on the chat page (/) and in the widget's frame (/widget): the
answer to ?q= rendered on the server, so that it works without JavaScript."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from qa.answering.assistant import ESCALATED_KINDS, MAX_QUESTION, SUGGESTIONS
from qa.errors import QAError
from web.deps import form_tokens
from web.metrics import record_answer
from web.services import log_question

STARTERS = SUGGESTIONS

NEW_TAB = ' target="_blank" rel="noopener"'


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
