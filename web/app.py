"""The app factory: the only way to get an app."""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig

from qa.answering.assistant import Assistant
from qa.answering.build import assistant_for
from qa.answering.cache import AnswerCache
from qa.settings import Settings
from qa.storage.store import Store
from web.api import ask as api
from web.api import escalations, examples, feedback, gaps, metrics, rights, support
from web.errors import install_error_handlers
from web.lifespan import app_lifespan
from web.metrics import metrics_from_environ
from web.middleware.access import Recorder, RouteTemplates, log_access
from web.middleware.buckets import open_buckets
from web.middleware.clients import Clients, client_secret
from web.middleware.csrf import FormTokens
from web.middleware.headers import CORS, BodyLimit, SecurityHeaders
from web.middleware.throttle import Throttle
from web.openapi import install_openapi, operation_id
from web.pages import chat, escalation_form, rights_forms, rights_status, widget
from web.pages import policy as pages

MAX_BODY_BYTES = 64 * 1024


NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def build_assistant(settings: Settings) -> Assistant:
    """The assistant the settings name (qa/answering/build.py); PolicyError names a broken
    file."""
    return assistant_for(settings)


def create_app(
    settings: Settings, *, assistant: Assistant | None = None, store: Store | None = None
) -> FastAPI:
    """A new app answering from `assistant`, or from the policy the settings name; `store` is
    for tests, otherwise the lifespan opens the database the settings name."""
    app = FastAPI(
        title="privacy-qa",
        summary="Answers questions from a privacy policy, in the policy's own words.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        lifespan=app_lifespan(settings, store),
        # FastAPI's own OpenTelemetry off: its spans carry a request's query string (a question
        # asked in ?q=, a status link's token) to whatever tracer the environment configures,
        # past our redacted logs. Our metrics are /metrics (tests/test_privacy.py).
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.assistant = assistant or build_assistant(settings)
    app.state.answers = AnswerCache(app.state.assistant, settings.answer_cache_size)
    app.state.metrics = metrics_from_environ()
    app.state.form_tokens = FormTokens(settings.form_secret or secrets.token_bytes(32))
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(api.router)
    app.include_router(chat.router)
    app.include_router(pages.router)
    app.include_router(rights.router)
    app.include_router(escalations.router)
    app.include_router(support.router)
    app.include_router(feedback.router)
    app.include_router(feedback.support_router)
    app.include_router(examples.router)
    app.include_router(gaps.router)
    app.include_router(rights_forms.router)
    app.include_router(rights_status.router)
    app.include_router(escalation_form.router)
    app.include_router(widget.router)
    app.include_router(metrics.router)
    app.mount("/static", StaticFiles(packages=[("web", "static")]), name="static")
    # Middleware added later wraps what came before: the recorder sees every response, and
    # the security headers go on every one, the body-limit refusals included.
    app.state.routes = RouteTemplates(lambda: app.routes)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(
        Throttle,
        limits=settings.rate_limits,
        buckets=open_buckets(settings.redis_url),
        clients=Clients(client_secret(settings), settings.trusted_proxies),
        templates=app.state.routes,
    )
    if settings.allowed_origins:
        # Sites that embed the widget may also call the JSON API from their own pages.
        app.add_middleware(
            CORS,
            allow_origins=list(settings.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Idempotency-Key"],
            max_age=600,
        )
    app.add_middleware(
        SecurityHeaders,
        frame_ancestors=" ".join(("'self'", *settings.allowed_origins)),
        framed_paths=widget.FRAMED_PATHS,
    )
    app.add_middleware(
        Recorder,
        templates=app.state.routes,
        observers=[log_access, app.state.metrics.observe],
    )
    return app


def app_from_environ() -> FastAPI:
    """The app for `uvicorn --factory web.app:app_from_environ` (each worker reads PRIVACY_QA_*)."""
    return create_app(Settings.from_env(os.environ))
