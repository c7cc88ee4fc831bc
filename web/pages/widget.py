"""The embeddable widget: the loader script, the chat panel it frames, and a demo host page."""

from __future__ import annotations

import re
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from web.chatbox import chat_values
from web.deps import AssistantDep, SettingsDep
from web.templates import render_page

router = APIRouter(include_in_schema=False)

DEFAULT_TITLE = "Privacy questions"
DEFAULT_COLOUR = "#0b5cad"
MAX_TITLE = 60
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")

# Paths the host sites in PRIVACY_QA_ALLOWED_ORIGINS may frame (the middleware reads this).
FRAMED_PATHS = ("/widget",)


def widget_title(value: str | None) -> str:
    """The panel's title: the host page's data-title, trimmed, or the default."""
    text = " ".join((value or "").split())[:MAX_TITLE]
    return text or DEFAULT_TITLE


def widget_colour(value: str | None) -> str:
    """The accent colour: a #rgb or #rrggbb value, else the default (nothing else reaches CSS)."""
    return value.lower() if value and _COLOUR.fullmatch(value) else DEFAULT_COLOUR


def _loader_script() -> bytes:
    return resources.files("web").joinpath("static", "widget.js").read_bytes()


@router.get("/widget.js")
async def widget_script() -> Response:
    """The loader a host page includes: it adds the launcher and the framed chat panel."""
    return Response(
        _loader_script(),
        media_type="text/javascript; charset=utf-8",
        headers={
            "cache-control": "public, max-age=300",
            # Host pages that isolate themselves (COEP) may still load it.
            "cross-origin-resource-policy": "cross-origin",
        },
    )


@router.get("/widget")
async def widget_panel(
    request: Request,
    assistant: AssistantDep,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    title: Annotated[str | None, Query(max_length=500)] = None,
    colour: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The chat panel shown in the widget's frame."""
    shown_title = widget_title(title)
    shown_colour = widget_colour(colour)
    return render_page(
        "widget.html",
        title=shown_title,
        colour=shown_colour,
        policy=assistant.library.default,
        **chat_values(
            request,
            q,
            mode="widget",
            ask_path="/widget",
            hidden_fields=(("title", shown_title), ("colour", shown_colour)),
        ),
    )


@router.get("/widget-demo")
async def widget_demo(settings: SettingsDep) -> Response:
    """A pretend customer website with the widget on it, and the snippet to copy."""
    return render_page(
        "widget_demo.html",
        title="Northwind Outfitters",
        public_url=settings.public_url,
        allowed_origins=settings.allowed_origins,
    )
