"""Request and response models of the HTTP API (they drive validation and the OpenAPI docs),
one module per resource: ask (and feedback), examples, gaps, support, escalations; what they
share is in common.

The names below are the shared pieces, for the route modules that still define their own
models (web/api/rights.py, web/api/escalations.py, web/pages/forms.py).
"""

from web.schemas.common import (
    ADDRESS,
    ADDRESS_OR_BLANK,
    ONE_LINE,
    SOME_TEXT,
    ErrorOut,
    IsoDate,
    PageOut,
    TopK,
)

__all__ = [
    "ADDRESS",
    "ADDRESS_OR_BLANK",
    "ONE_LINE",
    "SOME_TEXT",
    "ErrorOut",
    "IsoDate",
    "PageOut",
    "TopK",
]
