"""A process with an OpenTelemetry tracer provider of its own, as an operator's environment can
give one (opentelemetry-instrument, FASTAPI_OTEL_AUTO_CONFIGURE): it asks an app the questions
and follows the status link it is given, then prints every span the app made, as JSON.

    python -m tests.support.tracing ours|bare DATA_DIR QUESTION TOKEN

Run in a process of its own because a tracer provider, once set, is the process's for good.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench.bare import bare_app
from qa.settings import Settings
from web.app import create_app


def _app(kind: str, data_dir: Path) -> FastAPI:
    if kind == "bare":  # FastAPI as it comes: the yardstick that shows the exporter works
        return bare_app()
    return create_app(Settings.from_env({"PRIVACY_QA_DATA_DIR": str(data_dir)}))


def main(argv: Sequence[str]) -> int:
    """Print the spans of a GET and a POST of the question and of the status link, as JSON."""
    kind, data_dir, question, token = argv
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    with TestClient(_app(kind, Path(data_dir))) as client:
        client.get("/api/ask", params={"q": question})
        client.post("/api/ask", json={"question": question})
        client.get("/rights-requests/rr_0000000000", params={"token": token})
    spans = [
        {"name": span.name, "attributes": dict(span.attributes or {})}
        for span in exporter.get_finished_spans()
    ]
    print(json.dumps(spans))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
