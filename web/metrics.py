"""The app's metrics, for GET /metrics (web/api/metrics.py) in the Prometheus text format.

Requests by method, route template and status, their latency, questions answered and
declined, the outbox's depth and the age of its oldest pending mail, and the open rights requests
overdue and due within PRIVACY_QA_REMINDER_DAYS. Under `privacy-qa
serve` the counters live in prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
one file per worker), so a scrape that reaches any worker sees the sum over all of them; with
no such directory (tests, one in-process app) each app counts in its own registry. The outbox
and deadline figures are read from the database at each scrape (one indexed query each), so they
are the same from every worker and never stale.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import HTTPConnection

from qa.answering.answers import Answer
from qa.casework.reminders import Reminders
from qa.storage.schema import utcnow

log = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: an answer takes well under a millisecond; a submission waits for a disk sync.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """An app's counters and histogram."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "privacy_qa_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "privacy_qa_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "privacy_qa_answers",
            "Questions answered from the policy, or declined (offered a person).",
            ["result"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request (an observer of web.middleware.access.Recorder)."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(
        self, outbox: Any | None, reminders: Reminders | None = None, webhooks: Any | None = None
    ) -> bytes:
        """Every metric, in the Prometheus text format (`webhooks`: the webhook outbox)."""
        scrape = CollectorRegistry()
        if self.directory:
            multiprocess.MultiProcessCollector(scrape, path=self.directory)  # type: ignore[no-untyped-call]
        else:
            scrape.register(_Collected(self.registry))
        if outbox is not None:
            scrape.register(_OutboxCollector(outbox))
        if reminders is not None:
            scrape.register(_DeadlineCollector(reminders))
        if webhooks is not None:
            scrape.register(_OutboxCollector(webhooks, "webhooks", "webhook deliveries"))
        return generate_latest(scrape)


def metrics_from_environ() -> Metrics:
    """Metrics in multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (`privacy-qa serve`)."""
    directory = os.environ.get(MULTIPROCESS_DIR) or None
    from prometheus_client import values

    if directory and values.ValueClass is values.MutexValue:
        # prometheus-client picks its storage on import: set too late, counts would be lost.
        raise RuntimeError(f"{MULTIPROCESS_DIR} was set after prometheus_client was imported")
    return Metrics(directory)


class _Collected(Collector):
    """The metrics of one registry, to expose next to others."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Any]:
        """The registry's metrics."""
        return self.registry.collect()


class _OutboxCollector(Collector):
    """The outbox's depth and the age of its oldest pending mail (or webhook delivery), read
    at each scrape."""

    def __init__(self, outbox: Any, name: str = "outbox", what: str = "mails") -> None:
        self.outbox = outbox
        self.name = name
        self.what = what

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Two gauges, or none if the database cannot be read just now."""
        try:
            pending, oldest = self.outbox.backlog()
        except Exception as exc:  # a scrape must not fail because the database is away
            log.warning("metrics: %s not readable (%s)", self.name, type(exc).__name__)
            return
        yield GaugeMetricFamily(
            f"privacy_qa_{self.name}_pending",
            f"{self.what.capitalize()} waiting to be delivered.",
            value=pending,
        )
        yield GaugeMetricFamily(
            f"privacy_qa_{self.name}_oldest_pending_age_seconds",
            f"Age of the oldest of the {self.what} waiting to be delivered (0 when none waits).",
            value=_age(oldest),
        )


class _DeadlineCollector(Collector):
    """Open rights requests overdue and due soon, read at each scrape."""

    def __init__(self, reminders: Reminders) -> None:
        self.reminders = reminders

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Two gauges, or none if the database cannot be read just now."""
        try:
            overdue, soon = self.reminders.counts(utcnow().date())
        except Exception as exc:  # a scrape must not fail because the database is away
            log.warning("metrics: deadlines not readable (%s)", type(exc).__name__)
            return
        yield GaugeMetricFamily(
            "privacy_qa_rights_requests_overdue",
            "Open rights requests past their due date (UTC).",
            value=overdue,
        )
        yield GaugeMetricFamily(
            "privacy_qa_rights_requests_due_soon",
            "Open rights requests due from today to PRIVACY_QA_REMINDER_DAYS days ahead (UTC).",
            value=soon,
        )


def _age(oldest: datetime | None) -> float:
    return max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0


def record_answer(connection: HTTPConnection, answer: Answer) -> None:
    """Count an answer as answered or declined, in the app's metrics."""
    metrics: Metrics | None = getattr(connection.app.state, "metrics", None)
    if metrics is not None:
        metrics.answers.labels("answered" if answer.answered else "declined").inc()
