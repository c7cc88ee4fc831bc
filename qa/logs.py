"""Logs: one JSON object per line on stderr, and the server's logging set-up.

Nothing a visitor sends is logged: the access log (web/middleware/access.py) keeps the method, the
route
template, the status and the duration, and uvicorn's own access log, which records client
addresses and raw paths, is switched off.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

ACCESS_LOGGER = "web.middleware.access"
FORMATS = ("json", "text")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message and any `fields` given."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a line of JSON."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


class TextFormatter(logging.Formatter):
    """A record as one line of text, with its `fields` as key=value pairs."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The record as a line of text."""
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return line


def log_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A logging.config.dictConfig for the server (uvicorn's `log_config`): everything to
    stderr in `fmt`, and uvicorn's access logger silenced."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter"},
            "text": {"()": f"{__name__}.TextFormatter"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": upper},
        "loggers": {
            "uvicorn": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.error": {"level": upper},
            # alembic announces each of its plugins at info on every start.
            "alembic.runtime.plugins": {"level": "WARNING"},
            # httpx logs each webhook POST with its URL, which may hold the tool's token;
            # the outbox records each failure (the class name only) instead.
            "httpx2": {"level": "WARNING"},
            "httpcore2": {"level": "WARNING"},
            # uvicorn's access log writes client addresses and raw paths: ours replaces it.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }
