"""One vocabulary and no HTTP in the domain: the lists live in qa/vocabulary.py, the API's
schema offers exactly them, every label table names every value, and web/errors.py alone
turns a domain error into an HTTP status."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from qa import errors, vocabulary
from qa.casework.escalation import EscalationCreated
from qa.casework.request import Created
from qa.storage.engine import StoreError, StoreUnavailable
from web.api.rights import created_body
from web.errors import _FIXES, HTTP_STATUSES, status_of

QA = Path(__file__).resolve().parents[2] / "qa"


@pytest.mark.parametrize(
    ("table", "values"),
    [
        (vocabulary.RIGHT_LABELS, vocabulary.RIGHTS),
        (vocabulary.RIGHT_CHOICES, vocabulary.RIGHTS),
        (vocabulary.JURISDICTION_LABELS, vocabulary.JURISDICTIONS),
        (vocabulary.JURISDICTION_CHOICES, vocabulary.JURISDICTIONS),
        (vocabulary.STATUS_TEXT, vocabulary.STATUSES),
        (vocabulary.ESCALATION_STATUS_TEXT, vocabulary.ESCALATION_STATUSES),
    ],
)
def test_every_label_table_names_every_value_in_order(
    table: dict[str, str], values: tuple[str, ...]
) -> None:
    assert tuple(table) == values


def test_the_error_hints_list_the_vocabulary_as_before() -> None:
    assert _FIXES["jurisdiction"] == "use gdpr, uk_gdpr, ccpa or other"
    assert _FIXES["status"] == (
        "use received, verified, in_progress, extended, completed, denied or withdrawn"
    )
    assert _FIXES["right"] == (
        "use one of access, rectification, erasure, restriction, portability, objection, "
        "withdraw_consent, opt_out, limit"
    )


def test_the_schema_offers_exactly_the_vocabulary(assistant: Any, tmp_path: Path) -> None:
    from qa.settings import Settings
    from web.app import create_app

    spec = create_app(Settings(data_dir=tmp_path), assistant=assistant).openapi()
    schemas = spec["components"]["schemas"]
    fields = schemas["RightsRequestIn"]["properties"]
    assert tuple(fields["right"]["enum"]) == vocabulary.RIGHTS
    assert tuple(fields["jurisdiction"]["enum"]) == vocabulary.JURISDICTIONS
    status = schemas["RightsRequestOut"]["properties"]["status"]
    assert tuple(status["enum"]) == vocabulary.STATUSES
    escalation = schemas["EscalationStatusOut"]["properties"]["status"]
    assert tuple(escalation["enum"]) == vocabulary.ESCALATION_STATUSES


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.QAError("x"), 422),
        (errors.InvalidQuestion("x"), 422),
        (errors.UnknownDocument("x"), 404),
        (errors.NotFound("x"), 404),
        (errors.Conflict("x"), 409),
        (errors.BadTransition("x"), 409),
        (errors.MailLimited("x"), 429),
        (errors.TooManyRequests("x"), 429),
        (errors.IdempotencyMismatch("x"), 422),
        (errors.NoPrivacyMailbox(), 503),
        (StoreError("x"), 503),
        (StoreUnavailable("x"), 503),
        (errors.LinkNotValid("x", "unknown"), 404),
        (errors.LinkNotValid("x", "used"), 410),
        (errors.LinkNotValid("x", "expired", "RR-2026-000001"), 410),
        (errors.LinkNotValid("x", "erased"), 410),
    ],
)
def test_web_maps_each_domain_error_to_its_status(error: errors.QAError, status: int) -> None:
    assert status_of(error) == status
    assert not hasattr(error, "status")  # the domain names no HTTP status


def test_every_domain_error_class_is_mapped_by_web() -> None:
    mapped = {cls for cls in HTTP_STATUSES}
    domain = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.QAError)
    }
    assert all(any(issubclass(cls, m) for m in mapped) for cls in domain)


def test_nothing_under_qa_imports_the_web_framework() -> None:
    for path in QA.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in ("fastapi", "starlette"), (path, name)


def test_a_submission_stored_by_the_earlier_version_replays_byte_for_byte() -> None:
    # What 0.x kept for an Idempotency-Key: the whole answer, links and all.
    token = "tok_-A1"
    legacy = {
        "reference": "RR-2026-000007",
        "status": "received",
        "status_url": f"https://privacy.example/rights-requests/RR-2026-000007?token={token}",
        "api_url": f"https://privacy.example/api/rights-requests/RR-2026-000007?token={token}",
        "mailed": False,
    }
    created = Created.from_record(legacy)
    assert created.status_token == token and created.reference == "RR-2026-000007"
    assert list(created_body(created, "https://privacy.example/").items()) == list(legacy.items())
    assert Created.from_record(created.record()) == created

    old_escalation = {
        "reference": "ESC-2026-000002",
        "received_at": datetime(2026, 3, 1, tzinfo=UTC).isoformat(),
        "status_url": f"https://privacy.example/escalations/ESC-2026-000002?token={token}",
        "api_url": f"https://privacy.example/api/escalations/ESC-2026-000002?token={token}",
    }
    escalation = EscalationCreated.from_record(old_escalation)
    assert escalation.status_token == token
    assert EscalationCreated.from_record(escalation.record()) == escalation
