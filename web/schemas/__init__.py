"""Request and response models of the HTTP API (they drive validation and the OpenAPI docs),
one module per resource: ask, feedback, examples, gaps, rights, escalations, support; what they
share is in common, and the names below are its pieces.
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
