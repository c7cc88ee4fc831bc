"""The page templates (web/templates/*.html) and the one way to render them: every page, and the
throttle's 429 page, go through `render_page`."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from qa.casework.deadlines import long_date


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The page templates; every value is HTML-escaped unless marked safe in the template."""
    folder = str(resources.files("web").joinpath("templates"))
    environment = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True),
        auto_reload=False,
    )
    environment.filters["longdate"] = long_date
    return environment


def render_page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A template rendered to an HTML response."""
    return HTMLResponse(templates().get_template(name).render(**values), status_code=status)
