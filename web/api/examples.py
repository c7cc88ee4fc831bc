"""The privacy team teaches the assistant: example questions for sections, behind a key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from starlette.responses import Response

from web.deps import KeyName
from web.openapi import support_router
from web.paging import Limit, Offset, page_response
from web.responses import NO_STORE, JSONResponse
from web.schemas import ErrorOut
from web.schemas.examples import ExampleIn, ExampleListOut, ExampleOut
from web.services import ServicesDep

MAX_ID = 2_147_483_647  # the largest id the database's integers hold

router = support_router("/api/support/examples")


@router.post(
    "",
    status_code=201,
    response_model=ExampleOut,
    responses={
        200: {"model": ExampleOut, "description": "The same example was there already."},
        404: {"model": ErrorOut, "description": "No such document, or no such section in it."},
    },
)
def add_example(body: ExampleIn, services: ServicesDep, actor: KeyName) -> Response:
    """Teach the assistant that a question means a section; answers use it at once (201).
    The same question for the same section again gives the example back with 200."""
    example, created = services.examples.add(
        body.section_id, body.question, body.document, created_by=actor
    )
    if created:
        # This process answers with it before the reply goes; the others within
        # PRIVACY_QA_EXAMPLES_RELOAD_SECONDS.
        services.teacher.refresh()
    return JSONResponse(example.to_dict(), status_code=201 if created else 200, headers=NO_STORE)


@router.get("", response_model=ExampleListOut)
def list_examples(
    services: ServicesDep,
    document: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00-\x1f\x7f]*$",
            description="Only this document's examples.",
        ),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Example questions in the database, oldest first; `stale` where the section is gone."""
    items = services.examples.list(document, limit, offset)
    total = services.examples.count(document)
    return page_response([e.to_dict() for e in items], total, limit, offset)


@router.delete(
    "/{example_id}",
    status_code=204,
    response_class=Response,
    responses={404: {"model": ErrorOut, "description": "No example with this id."}},
)
def remove_example(
    example_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The example's id.")],
    services: ServicesDep,
) -> Response:
    """Forget an example; answers stop using it at once (204)."""
    services.examples.remove(example_id)
    services.teacher.refresh()
    return Response(status_code=204, headers=NO_STORE)
