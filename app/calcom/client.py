"""Cal.com API v2 client: one shared httpx client, per-call deadlines, safe retries, a breaker.

Slot reads have 3 s in total, retried on connection errors and 502/503/504 within that
budget; booking writes have 5 s and are never retried (a retried create could book twice).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from app.calcom.breaker import CircuitBreaker
from app.calcom.errors import (
    CalcomRejectedError,
    CalcomSlotTakenError,
    CalcomTimeoutError,
    CalcomUnavailableError,
)
from app.calcom.wire import (
    Booking,
    BookingResponse,
    BookingsPage,
    ErrorResponse,
    SlotsResponse,
)
from app.metrics import Metrics

logger = logging.getLogger("app.calcom.client")

SLOTS_API_VERSION = "2024-09-04"
BOOKINGS_API_VERSION = "2024-08-13"
READ_TIMEOUT_SECONDS = 3.0
WRITE_TIMEOUT_SECONDS = 5.0
RETRYABLE_STATUSES = {502, 503, 504}
TAKEN_MARKERS = ("already has booking", "not available", "no available users")

T = TypeVar("T")


class _ServerError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response


class CalcomClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str | None,
        breaker: CircuitBreaker,
        metrics: Metrics | None = None,
        *,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        write_timeout: float = WRITE_TIMEOUT_SECONDS,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.breaker = breaker
        self.metrics = metrics
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout

    # --- public calls ----------------------------------------------------------------------

    async def get_slots(
        self, event_type_id: int, start: datetime, end: datetime, time_zone: str = "UTC"
    ) -> dict[date, list[datetime]]:
        params = {
            "eventTypeId": event_type_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "timeZone": time_zone,
        }

        async def call() -> httpx.Response:
            return await self._request_with_retries(
                "GET", "/slots", SLOTS_API_VERSION, params=params
            )

        response = await self._guarded("get_slots", call, self.read_timeout)
        parsed = SlotsResponse.model_validate(response.json())
        return {
            date.fromisoformat(day): [item.start for item in items]
            for day, items in parsed.data.items()
        }

    async def list_bookings(
        self,
        event_type_ids: list[int],
        *,
        updated_after: datetime | None = None,
        created_after: datetime | None = None,
        take: int = 100,
        skip: int = 0,
    ) -> BookingsPage:
        """One page of the account's bookings of these event types (any status), oldest
        change first. A read: 3 s, retried like slot reads."""
        params: dict[str, Any] = {
            "eventTypeIds": ",".join(str(event_type) for event_type in event_type_ids),
            "take": take,
            "skip": skip,
            "sortUpdatedAt": "asc",
        }
        if updated_after is not None:
            params["afterUpdatedAt"] = _utc_iso(updated_after)
        if created_after is not None:
            params["afterCreatedAt"] = _utc_iso(created_after)

        async def call() -> httpx.Response:
            return await self._request_with_retries(
                "GET", "/bookings", BOOKINGS_API_VERSION, params=params
            )

        response = await self._guarded("list_bookings", call, self.read_timeout)
        return BookingsPage.model_validate(response.json())

    async def create_booking(
        self,
        event_type_id: int,
        start: datetime,
        attendee: dict[str, Any],
        metadata: dict[str, str] | None = None,
    ) -> Booking:
        body: dict[str, Any] = {
            "start": _utc_iso(start),
            "eventTypeId": event_type_id,
            "attendee": attendee,
        }
        if metadata:
            body["metadata"] = metadata
        return await self._write("create_booking", "POST", "/bookings", body)

    async def cancel_booking(self, uid: str, reason: str | None = None) -> Booking:
        body = {"cancellationReason": reason} if reason else {}
        return await self._write("cancel_booking", "POST", f"/bookings/{uid}/cancel", body)

    async def reschedule_booking(
        self, uid: str, start: datetime, reason: str | None = None
    ) -> Booking:
        body: dict[str, Any] = {"start": _utc_iso(start)}
        if reason:
            body["reschedulingReason"] = reason
        return await self._write("reschedule_booking", "POST", f"/bookings/{uid}/reschedule", body)

    # --- plumbing --------------------------------------------------------------------------

    async def _write(self, operation: str, method: str, path: str, body: dict[str, Any]) -> Booking:
        async def call() -> httpx.Response:
            return await self._send(method, path, BOOKINGS_API_VERSION, json=body)

        response = await self._guarded(operation, call, self.write_timeout)
        return BookingResponse.model_validate(response.json()).data

    async def _guarded(
        self, operation: str, call: Callable[[], Awaitable[httpx.Response]], deadline: float
    ) -> httpx.Response:
        """Breaker check, hard deadline, outcome metrics; maps failures to typed errors."""
        await self.breaker.before_call()
        started = time.perf_counter()
        outcome = "success"
        try:
            async with asyncio.timeout(deadline):
                response = await call()
            _raise_for_rejection(response)
        except TimeoutError as exc:
            outcome = "timeout"
            await self.breaker.record_failure()
            raise CalcomTimeoutError(f"Cal.com {operation} took longer than {deadline} s") from exc
        except (httpx.TransportError, _ServerError) as exc:
            outcome = "unavailable"
            await self.breaker.record_failure()
            raise CalcomUnavailableError(f"Cal.com {operation} failed: {_describe(exc)}") from exc
        except CalcomRejectedError:
            # A refusal means Cal.com answered: it says nothing about Cal.com's health.
            outcome = "rejected"
            await self.breaker.record_success()
            raise
        else:
            await self.breaker.record_success()
            return response
        finally:
            self._observe(operation, outcome, time.perf_counter() - started)

    async def _request_with_retries(
        self, method: str, path: str, version: str, **kwargs: Any
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_worth_retrying),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.1, max=0.5),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(method, path, version, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, method: str, path: str, version: str, **kwargs: Any) -> httpx.Response:
        headers = {"cal-api-version": version}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        response = await self.http.request(
            method, f"{self.base_url}{path}", headers=headers, **kwargs
        )
        if response.status_code >= 500:
            raise _ServerError(response)
        return response

    def _observe(self, operation: str, outcome: str, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.upstream_calls.labels("calcom", operation, outcome).inc()
            self.metrics.upstream_latency.labels("calcom", operation).observe(seconds)
        if outcome != "success":
            logger.warning(
                "calcom.call_failed",
                extra={
                    "operation": operation,
                    "outcome": outcome,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )


def _worth_retrying(exc: BaseException) -> bool:
    """Connection failures and the gateway statuses that say "try again"; a 500 is a bug
    upstream that a retry would only repeat."""
    if isinstance(exc, _ServerError):
        return exc.response.status_code in RETRYABLE_STATUSES
    return isinstance(exc, httpx.TransportError)


def _raise_for_rejection(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        error = ErrorResponse.model_validate(response.json()).error
        message = (error.message if error else None) or response.text
    except ValueError:
        message = response.text
    taken = response.status_code == 409 or (
        response.status_code == 400 and any(m in message.lower() for m in TAKEN_MARKERS)
    )
    error_type = CalcomSlotTakenError if taken else CalcomRejectedError
    raise error_type(response.status_code, message[:300])


def _utc_iso(value: datetime) -> str:
    # Cal.com reads booking starts as UTC.
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _ServerError):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
