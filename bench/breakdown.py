"""Where a request's server time goes: the ASGI app called in process (no network, no wrk),
GET /healthz against POST /api/ask against answer() alone. It explains the HTTP ratio."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message

from qa.answering.assistant import Assistant
from qa.settings import Settings
from web.app import create_app


@dataclass(frozen=True)
class Breakdown:
    """Microseconds of server time per request (the best of several rounds)."""

    healthz_us: float
    ask_us: float
    answer_us: float

    @property
    def ceiling(self) -> float:
        """The best /api/ask : /healthz throughput ratio a server bound by its CPU can reach."""
        return self.healthz_us / self.ask_us

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {**asdict(self), "ratio_ceiling": self.ceiling}


async def _call(app: ASGIApp, method: str, path: str, body: bytes = b"") -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> Message:
        if messages:
            return messages.pop()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _rounds(
    assistant: Assistant, questions: list[str], rounds: int, workdir: Path
) -> Breakdown:
    # Rate limits off: the benchmark is one client sending thousands of questions. The answer
    # cache off: this measures what a question never asked before costs the server.
    settings = Settings.from_env(
        {
            "PRIVACY_QA_DATA_DIR": str(workdir / "data"),
            "PRIVACY_QA_RATE_LIMITS": "off",
            "PRIVACY_QA_ANSWER_CACHE_SIZE": "0",
        }
    )
    app = create_app(settings, assistant=assistant)
    bodies = [json.dumps({"question": q}).encode() for q in questions]
    best = {"healthz": float("inf"), "ask": float("inf"), "answer": float("inf")}
    async with app.router.lifespan_context(app):
        for body in bodies[:100]:  # warm-up
            await _call(app, "GET", "/healthz")
            await _call(app, "POST", "/api/ask", body)
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in bodies:
                await _call(app, "GET", "/healthz")
            best["healthz"] = min(best["healthz"], time.perf_counter() - start)
            start = time.perf_counter()
            for body in bodies:
                if await _call(app, "POST", "/api/ask", body) != 200:
                    raise RuntimeError("POST /api/ask did not answer 200 in process")
            best["ask"] = min(best["ask"], time.perf_counter() - start)
            start = time.perf_counter()
            for question in questions:
                assistant.answer(question)
            best["answer"] = min(best["answer"], time.perf_counter() - start)
    scale = 1e6 / len(questions)
    return Breakdown(best["healthz"] * scale, best["ask"] * scale, best["answer"] * scale)


def measure_breakdown(
    assistant: Assistant, questions: list[str], workdir: Path, rounds: int = 3
) -> Breakdown:
    """Server time per request of /healthz, /api/ask and answer(), best of `rounds`; the app's
    files (if it writes any) go to `workdir`."""
    return asyncio.run(_rounds(assistant, questions, rounds, workdir))
