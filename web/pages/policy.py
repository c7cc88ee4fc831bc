"""HTML pages for visitors: the whole policy with anchors, the contact card, the API docs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from index.policy import Policy
from qa.answering.assistant import Assistant
from web.deps import AssistantDep
from web.templates import render_page

router = APIRouter(include_in_schema=False)


def _policy_page(assistant: Assistant, policy: Policy) -> Response:
    # The shallowest sections are <h2> on the page, any under them <h3>, whatever level of
    # heading the document split at.
    top = min((s.level for s in policy.sections if s.level > 0), default=1)
    sections = [
        {
            "section": s,
            "html": assistant.section_html(s),
            "is_preamble": s.level == 0,
            "tag": "h2" if s.level <= top else "h3",
        }
        for s in policy.sections
    ]
    others = [p for p in assistant.library.documents.values() if p.name != policy.name]
    return render_page(
        "policy.html",
        policy=policy,
        sections=sections,
        others=others,
        default_name=assistant.library.default.name,
        title=policy.title,
    )


@router.get("/policy")
async def policy_page(assistant: AssistantDep) -> Response:
    """The whole default policy, a table of contents and an anchor per section id."""
    return _policy_page(assistant, assistant.library.default)


@router.get("/policy/{document}")
async def document_page(document: str, assistant: AssistantDep) -> Response:
    """Another document of the library, by name."""
    return _policy_page(assistant, assistant.document(document))


@router.get("/contact")
async def contact_page(request: Request, assistant: AssistantDep) -> Response:
    """The privacy team's contact card, as the policy gives it, and a form to write to them."""
    return render_page(
        "contact.html",
        card=assistant.contact_card(),
        title="Contact the privacy team",
        token=request.app.state.form_tokens.issue("escalation"),
    )


@router.get("/docs")
async def api_docs() -> Response:
    """Swagger UI for /openapi.json, served from this app (no CDN)."""
    return render_page("docs.html", title="privacy-qa API")
