"""Builds the process-wide Cal.com client and hands it to request handlers."""

from __future__ import annotations

import httpx
from fastapi import Request

from app.cache import Cache
from app.calcom.breaker import BreakerState, CircuitBreaker
from app.calcom.client import CalcomClient
from app.config import Settings
from app.metrics import Metrics

BREAKER_GAUGE = {BreakerState.CLOSED: 0.0, BreakerState.HALF_OPEN: 0.5, BreakerState.OPEN: 1.0}


def create_calcom_client(
    settings: Settings, http: httpx.AsyncClient, cache: Cache, metrics: Metrics
) -> CalcomClient | None:
    """None when CALCOM_API_KEY is unset: the service then answers from its own calendar."""
    if not settings.calcom_api_key:
        return None
    gauge = metrics.breaker_state.labels("calcom")
    breaker = CircuitBreaker(
        cache,
        "calcom",
        failure_threshold=settings.calcom_breaker_failure_threshold,
        reset_timeout=settings.calcom_breaker_reset_seconds,
        on_state_change=lambda state: gauge.set(BREAKER_GAUGE[state]),
    )
    return CalcomClient(
        http,
        settings.calcom_base_url,
        settings.calcom_api_key,
        breaker,
        metrics,
        read_timeout=settings.calcom_read_timeout_seconds,
        write_timeout=settings.calcom_write_timeout_seconds,
    )


def calcom_client(request: Request) -> CalcomClient | None:
    return getattr(request.app.state, "calcom", None)


async def calcom_status(client: CalcomClient | None) -> dict[str, object]:
    if client is None:
        return {"configured": False}
    return {"configured": True, "breaker": str(await client.breaker.state())}
