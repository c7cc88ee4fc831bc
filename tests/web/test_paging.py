"""The support API's lists page the same way: {items, total, limit, offset}, on SQLite and
PostgreSQL, with the filters counted into the total."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.casework import API_KEY, MailSink, rights_body

AUTH = {"Authorization": f"Bearer {API_KEY}"}
REQUESTS = "/api/support/rights-requests"


def _page(desk: TestClient, path: str, **params: str | int) -> dict[str, Any]:
    response = desk.get(path, params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def test_rights_requests_page_through_with_the_filtered_total(
    desk: TestClient, smtp: MailSink
) -> None:
    references = {
        desk.post("/api/rights-requests", json=rights_body(email=f"p{i}@example.com")).json()[
            "reference"
        ]
        for i in range(3)
    }
    first = _page(desk, REQUESTS, limit=2)
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    second = _page(desk, REQUESTS, limit=2, offset=2)
    assert (second["total"], second["offset"]) == (3, 2)
    pages = [*first["items"], *second["items"]]
    assert {i["reference"] for i in pages} == references
    assert _page(desk, REQUESTS, offset=10) == {"items": [], "total": 3, "limit": 100, "offset": 10}
    completed = _page(desk, REQUESTS, status="completed")
    assert (completed["items"], completed["total"]) == ([], 0)


def test_escalations_page_with_their_total(desk: TestClient, smtp: MailSink) -> None:
    for question in ("Who are your subprocessors?", "Do you use my data for training?"):
        sent = desk.post("/api/escalations", json={"question": question, "consent": False})
        assert sent.status_code == 201, sent.text
    page = _page(desk, "/api/support/escalations", limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    [oldest] = page["items"]
    assert oldest["question"] == "Who are your subprocessors?"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"offset": -1}, "offset")],
)
@pytest.mark.parametrize(
    "path",
    [REQUESTS, "/api/support/escalations", "/api/support/question-log", "/api/support/examples"],
)
def test_a_limit_or_offset_out_of_range_is_a_422_naming_it(
    desk: TestClient, path: str, params: dict[str, int], field: str
) -> None:
    response = desk.get(path, params=params, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
