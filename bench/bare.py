"""A bare FastAPI app, served as `privacy-qa serve` serves ours (uvicorn, h11 with our guarded
protocol, no access log): its POST against its GET is what the framework itself costs, the
yardstick of the efficiency figure (README, Benchmarks).

    python -m bench.bare --port 8001
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import orjson
from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response


class Ask(BaseModel):
    """The body our POST /api/ask reads, without its limits."""

    question: str
    top_k: int = 3
    document: str | None = None


def bare_app() -> FastAPI:
    """GET /healthz and POST /api/ask doing no work beyond the framework's."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type="application/json")

    @app.post("/api/ask")
    async def ask(request: Request) -> Response:
        # Read as our route reads it: the body validated by pydantic, the reply by orjson.
        try:
            body = Ask.model_validate_json(await request.body())
        except ValidationError:
            return Response(b'{"error":"question: required"}', 422, media_type="application/json")
        return Response(orjson.dumps({"question": body.question}), media_type="application/json")

    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the bare app on loopback until stopped."""
    import uvicorn

    from qa.settings import Settings
    from web.protocol import guarded_protocol

    top = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__)
    top.add_argument("--port", type=int, required=True)
    args = top.parse_args(argv)
    settings = Settings()
    uvicorn.run(
        bare_app(),
        host="127.0.0.1",
        port=args.port,
        http=guarded_protocol(settings),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_seconds,
        ws="none",
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
