"""Pages of the support API's lists: the `limit` and `offset` parameters and one envelope,
`{"items", "total", "limit", "offset"}`, for every list route.

Offset rather than a keyset cursor: the lists are the privacy team's worklists (hundreds of
rows, filtered), a support tool shows them as pages ("101–200 of 340") and jumps to one, and the
parameters are the ones the routes already took. A row added while a client pages may shift the
next page by one; a tool that must see every new item learns of it from the webhooks, not by
paging. The next page is `offset + limit` while that is below `total`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response

from web.responses import NO_STORE, JSONResponse

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # a bound the database's integers can hold

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many items (1 to {MAX_LIMIT}).")
]
Offset = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_OFFSET,
        description="Skip this many items first; the next page starts at offset + limit.",
    ),
]


def page_response(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> Response:
    """The envelope as a JSON reply that no cache keeps (the lists hold personal data)."""
    return JSONResponse(
        {"items": items, "total": total, "limit": limit, "offset": offset}, headers=NO_STORE
    )
