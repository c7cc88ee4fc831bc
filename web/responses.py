"""A JSON response serialised by orjson (the reply's serialisation costs more than ranking), the
header of replies that hold personal data, and the JSON twin of a status page's path."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSON

# Replies with a requester's data, a token or a worklist: no cache, shared or not, keeps them.
NO_STORE = {"Cache-Control": "no-store"}


class JSONResponse(_StarletteJSON):
    """application/json, encoded by orjson."""

    def render(self, content: Any) -> bytes:
        """Encode with orjson."""
        return orjson.dumps(content)


def api_path(page_path: str) -> str:
    """The JSON twin of a status page: the same path and token under /api."""
    return "/api" + page_path
