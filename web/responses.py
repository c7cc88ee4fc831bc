"""A JSON response serialised by orjson (the reply's serialisation costs more than ranking)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSON


class JSONResponse(_StarletteJSON):
    """application/json, encoded by orjson."""

    def render(self, content: Any) -> bytes:
        """Encode with orjson."""
        return orjson.dumps(content)
