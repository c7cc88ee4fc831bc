"""GET /metrics in the Prometheus text format (web/metrics.py), for whoever holds the metrics
token or a support key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.responses import Response

from web.deps import BearerDep, SettingsDep, bearer_key
from web.errors import error_response

router = APIRouter(include_in_schema=False)


def require_metrics_token(settings: SettingsDep, credentials: BearerDep) -> Response | None:
    """None if the request holds the metrics token or a support key, else the refusal."""
    tokens = [t for t in (settings.metrics_token, *(k.key for k in settings.api_keys)) if t]
    if not tokens:
        return error_response(
            403,
            "forbidden",
            "metrics are off; set PRIVACY_QA_METRICS_TOKEN (16 characters or more) and send "
            "Authorization: Bearer TOKEN",
        )
    if bearer_key(credentials, tokens) is None:
        return error_response(
            401,
            "unauthorized",
            "Authorization: send PRIVACY_QA_METRICS_TOKEN or a support key as "
            "Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": 'Bearer realm="privacy-qa metrics"'},
        )
    return None


MetricsRefusal = Annotated[Response | None, Depends(require_metrics_token)]


@router.get("/metrics")
def metrics(request: Request, refusal: MetricsRefusal) -> Response:
    """Prometheus metrics (text format), behind the metrics token."""
    if refusal is not None:
        return refusal
    services = getattr(request.app.state, "services", None)
    body = request.app.state.metrics.exposition(
        services.outbox if services else None,
        services.reminders if services else None,
        services.casework.webhooks.outbox if services else None,
    )
    # The classic text format, which every Prometheus reads (our names need no escaping).
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
