"""What every model uses: the text checks as JSON Schema, the number and date types, the
error shape, the list envelope, and the rules of a PATCH body."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, field_validator

from qa.addresses import ADDRESS_PATTERN
from qa.answering.assistant import MAX_TOP_K

# The checks the validators make on text, as JSON Schema, so that the documented contract and
# the code agree (tests/web/test_fuzz.py holds them to it). Unanchored patterns search the value.
# A character that is not white space as Python's str.strip() has it, which is what the
# server checks; JSON Schema's \S is ECMA's, which counts \x1c-\x1f and \x85 as text and
# \ufeff as space, so a client told "\S" would send what the server refuses.
TEXT_CHARACTER = (
    r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
SOME_TEXT: dict[str, Any] = {"pattern": TEXT_CHARACTER}
ONE_LINE: dict[str, Any] = {"pattern": TEXT_CHARACTER, "not": {"pattern": r"[\x00-\x1f\x7f]"}}
ADDRESS: dict[str, Any] = {"pattern": ADDRESS_PATTERN}
ADDRESS_OR_BLANK: dict[str, Any] = {"pattern": rf"^\s*$|{ADDRESS_PATTERN}"}


def _whole(value: object) -> object:
    # JSON has one kind of number: to JSON Schema 2.0 is the integer 2, so take it as 2. Strings
    # and booleans still fail the strict check.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso_date(value: object) -> object:
    # pydantic would read "0" or "1700000000" as a Unix time; the documented format is a date.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date such as 2026-03-31")
    return value


# The validator after Field wraps the constrained int, so the schema keeps minimum and maximum.
TopK = Annotated[
    int,
    Field(ge=1, le=MAX_TOP_K, strict=True, description="How many sections to return at most."),
    BeforeValidator(_whole),
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain some text, not only spaces")
    return value


# Text that is not only white space: the check SOME_TEXT's pattern documents.
NotBlank = AfterValidator(_not_blank)


class StatusOut(BaseModel):
    """A health answer."""

    status: str


class ErrorDetail(BaseModel):
    """What went wrong and how to fix it."""

    status: int
    code: str
    message: str
    field: str | None = None
    fields: list[dict[str, str]] = Field(default_factory=list)


class ErrorOut(BaseModel):
    """The one error shape of every route."""

    error: ErrorDetail


class PageOut(BaseModel):
    """The envelope of every list (web/paging.py): a page of `items` and where it sits."""

    total: int = Field(description="How many items match the filters, on every page together.")
    limit: int = Field(description="The limit asked for: at most this many items.")
    offset: int = Field(description="How many matching items come before this page.")


class PatchIn(BaseModel):
    """A PATCH body: each of its fields is left out or given, never sent as null."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave the field out instead of sending null")
        return value


def left_out_not_null(schema: dict[str, Any]) -> None:
    """A PATCH body's rules in its JSON Schema: fields are left out, never null; at least one."""
    for prop in schema.get("properties", {}).values():
        options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        elif options:
            prop["anyOf"] = options
        prop.pop("default", None)
    schema["minProperties"] = 1
