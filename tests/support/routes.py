"""Every route of the app (the OpenAPI ones and the pages), and paths to reach each of them."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

# What a path parameter is filled with, so that the request reaches its route.
PATH_VALUES = {
    "reference": "RR-2026-000001",
    "path": "site.css",
}


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """(method, route template) of every route, pages and mounts included (mounts as GET)."""
    found = []
    for context in iter_route_contexts(app.routes):
        template = context.path_format
        assert template is not None
        for method in sorted(context.methods or {"GET"}):
            if method != "HEAD":
                found.append((method, template))
    return found


def fill(template: str, value: str) -> str:
    """The template with each path parameter filled (PATH_VALUES, else `value`)."""
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), value), template)


def hidden_token(html: str) -> str:
    """The anti-forgery token of the first form on a page."""
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)
