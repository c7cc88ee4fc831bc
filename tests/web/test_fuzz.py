"""API fuzzing: schemathesis generates cases from the app's own OpenAPI schema and runs every
check it has on each answer: no server error, no answer that breaks the schema, no undocumented
status code, schema-valid input accepted and schema-invalid input refused, and more.

It runs as `schemathesis run` would (examples, coverage, fuzzing and stateful phases) through
the real app in process (ASGI), with its store, outbox and lifespan running, every operation
including the support API (with a key), on a fixed seed so that a run is repeatable.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.engine import events, from_schema

from qa.answering.assistant import Assistant
from qa.ratelimits import parse_limits
from qa.settings import Settings, parse_api_keys
from tests.support.casework import API_KEY
from web.app import create_app

SEED = 20260301
EXAMPLES_PER_OPERATION = 60
MIN_CASES = 1500
REJECTIONS = ["400", "401", "403", "404", "406", "409", "413", "422", "428", "429"]
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Among the checks schemathesis runs (all of them: none is turned off), the ones the issue names.
CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
}

pytestmark = pytest.mark.fuzz


@pytest.fixture()
def fuzzed_app(tmp_path: Any, assistant: Assistant) -> Iterator[FastAPI]:
    """The app on SQLite with a support key; its lifespan runs while the cases are sent."""
    settings = Settings(
        data_dir=tmp_path,
        api_keys=parse_api_keys(API_KEY),
        privacy_email="privacy@example.com",
        public_url="http://testserver",
        # One client sending thousands of requests: the limits would answer most of them.
        rate_limits=parse_limits("off"),
    )
    app = create_app(settings, assistant=assistant)
    with TestClient(app):
        yield app


@dataclass
class Tally:
    """What a run did: cases per operation, failed checks, errors."""

    cases: Counter[str] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def fuzz(app: FastAPI) -> Tally:
    """Run schemathesis's engine over the app's schema; what it found."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": {"Authorization": f"Bearer {API_KEY}"},
            # A body over the 64 KB cap is refused with 413 before it is read as JSON: that is
            # a rejection of bad input too (schemathesis's default list leaves 413 out).
            "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "database": "none",
                "deterministic": True,
            },
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    serial = itertools.count()

    def before_call(context: Any, case: Any, kwargs: Any) -> None:
        # One Idempotency-Key with two bodies is refused (422, as the IETF draft says); the
        # generator reuses short keys across unrelated cases, so each valid key is made unique.
        key = (case.headers or {}).get("Idempotency-Key")
        if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
            case.headers["Idempotency-Key"] = f"{key[:200]}.{next(serial)}"

    tally = Tally()
    schemathesis.hook(before_call)  # a process-wide hook (schemathesis has no narrower one)
    try:
        _run(schema, tally)
    finally:
        schemathesis.hooks.unregister(before_call)
    return tally


def _run(schema: schemathesis.BaseSchema, tally: Tally) -> None:
    """Every phase of the engine; cases, failed checks and errors go to `tally`."""
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for node in recorder.cases.values():
                tally.cases[node.value.operation.label] += 1
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    tally.checks[check.name] += 1
                    if check.failure_info is None:
                        continue
                    tally.failures.append(
                        f"{check.name}: {check.failure_info.failure.title}\n"
                        + _exchange(recorder.interactions.get(case_id))
                    )
        elif isinstance(event, events.NonFatalError):
            tally.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            tally.errors.append(f"the engine stopped: {event.exception!r}")


def _exchange(call: Any) -> str:
    """A request and its answer, briefly, for a failure message."""
    if call is None:
        return "  (no request recorded)"
    request, response = call.request, call.response
    key = request.headers.get("Idempotency-Key") or request.headers.get("idempotency-key")
    lines = [f"  {request.method} {request.uri} {(request.body or b'')[:300]!r}"]
    if key:
        lines.append(f"  Idempotency-Key: {key}")
    if response is not None:
        lines.append(f"  -> {response.status_code} {(response.content or b'')[:300]!r}")
    return "\n".join(lines)


def test_every_generated_case_is_answered_as_the_schema_says(fuzzed_app: FastAPI) -> None:
    tally = fuzz(fuzzed_app)
    total = sum(tally.cases.values())
    print(f"\nfuzz: {total} cases over {len(tally.cases)} operations")  # the README's figure
    print(f"fuzz: {sum(tally.checks.values())} checks: {dict(sorted(tally.checks.items()))}")
    assert not tally.errors, "\n".join(tally.errors)
    assert not tally.failures, f"{len(tally.failures)} failed checks:\n" + "\n".join(
        sorted(set(tally.failures))[:40]
    )
    operations = {
        f"{method.upper()} {path}"
        for path, item in fuzzed_app.openapi()["paths"].items()
        for method in item
    }
    assert operations <= set(tally.cases), f"never called: {operations - set(tally.cases)}"
    assert total >= MIN_CASES, f"only {total} cases; raise EXAMPLES_PER_OPERATION"
    assert set(tally.checks) >= CHECKS, f"checks that never ran: {CHECKS - set(tally.checks)}"
