"""The wrk rows of one backend: what each sends, how many connections, and its target.

Every row is checked once with a plain request before the load (a row that measured 401s
would lie), and rows with a fixed number of requests count every status.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from bench import voice
from bench.seed import BenchSalon
from bench.server import log
from bench.wrk import Request, WrkResult, run_wrk

CONNECTIONS = 50
UNCACHED_CONNECTIONS = 10
CONTESTED = 200
TZ = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Target:
    """What a row must reach: a ratio to the reference (same run) and latency bounds."""

    min_ratio: float | None = None
    max_p99_ms: float | None = None
    max_p95_ms: float | None = None

    def describe(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f">= {self.min_ratio:g}x")
        if self.max_p99_ms is not None:
            parts.append(f"p99 < {self.max_p99_ms:g} ms")
        if self.max_p95_ms is not None:
            parts.append(f"p95 < {self.max_p95_ms:g} ms")
        return ", ".join(parts)

    def met(self, result: WrkResult, reference_rps: float) -> bool:
        return (
            (self.min_ratio is None or result.rps / reference_rps >= self.min_ratio)
            and (self.max_p99_ms is None or result.p99_ms < self.max_p99_ms)
            and (self.max_p95_ms is None or result.p95_ms < self.max_p95_ms)
        )


@dataclass
class Row:
    name: str
    requests: list[Request]
    expect: frozenset[int]
    connections: int = CONNECTIONS
    limit: int | None = None
    target: Target | None = None


@dataclass
class Measured:
    row: Row
    result: WrkResult

    def ratio(self, reference_rps: float) -> float:
        return self.result.rps / reference_rps if reference_rps else 0.0


def _json(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"))


def check_body(salon: BenchSalon, staff_id: int, start: datetime) -> dict:
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": staff_id,
        "start": start.isoformat(),
    }


def booking_body(salon: BenchSalon, index: int, staff_id: int, start: datetime) -> dict:
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": staff_id,
        "start": start.isoformat(),
        "customer": {"name": f"Bench {index}", "phone": f"+49152{30000000 + index:08d}"},
    }


def _working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def uncached_checks(salon: BenchSalon) -> list[Request]:
    """Every seeded cut's start, asked for its own staff member (taken: alternatives are
    searched), once without and once with its offset: distinct cache keys, so every request
    of the row is computed."""
    bodies = []
    for staff_id, local_start in salon.taken_starts:
        naive = local_start.replace(tzinfo=None)
        bodies.append(check_body(salon, staff_id, naive))
        bodies.append(check_body(salon, staff_id, local_start))
    return [Request("POST", "/api/v1/availability/check", _json(b)) for b in bodies]


def distinct_bookings(salon: BenchSalon, count: int) -> list[Request]:
    """Free half hours from three weeks out (past the seeded calendar), one per request."""
    per_day = len(salon.staff_ids) * 24
    requests = []
    day = _working_day(salon.first_day + timedelta(days=21))
    for index in range(count):
        if index and index % per_day == 0:
            day = _working_day(day + timedelta(days=1))
        slot = index % per_day
        staff_id = salon.staff_ids[slot % len(salon.staff_ids)]
        start = datetime.combine(day, datetime.min.time()).replace(hour=8) + timedelta(
            minutes=30 * (slot // len(salon.staff_ids))
        )
        body = booking_body(salon, index, staff_id, start)
        requests.append(Request("POST", "/api/v1/appointments", _json(body)))
    return requests


def contested_booking(salon: BenchSalon) -> Request:
    day = _working_day(salon.first_day + timedelta(days=90))
    start = datetime.combine(day, datetime.min.time()).replace(hour=19)
    body = booking_body(salon, 900_000, salon.staff_ids[0], start)
    return Request("POST", "/api/v1/appointments", _json(body))


def day_listing(salon: BenchSalon) -> Request:
    day = _working_day(salon.first_day + timedelta(days=1))
    start = datetime.combine(day, datetime.min.time(), tzinfo=TZ)
    params = urlencode(
        {"date_from": start.isoformat(), "date_to": (start + timedelta(days=1)).isoformat()}
    )
    return Request("GET", f"/api/v1/appointments?{params}")


def voice_local_check(salon: BenchSalon) -> Request:
    staff_id, local_start = salon.taken_starts[0]
    raw, headers = voice.check_availability(
        salon.cut_id, local_start.date(), local_start.strftime("%H:%M"), salon.phone_number
    )
    return Request("POST", voice.FUNCTIONS_PATH, raw, headers)


def read_rows(salon: BenchSalon, backend: str) -> list[Row]:
    cached_ratio = 0.6 if backend == "sqlite" else 0.45
    staff_id, local_start = salon.taken_starts[0]
    cached = Request(
        "POST", "/api/v1/availability/check", _json(check_body(salon, staff_id, local_start))
    )
    uncached = uncached_checks(salon)
    ok = frozenset({200})
    return [
        Row("GET /health/live", [Request("GET", "/health/live")], ok),
        Row(
            "POST /availability/check, cached",
            [cached],
            ok,
            target=Target(min_ratio=cached_ratio, max_p99_ms=50),
        ),
        Row(
            f"POST /availability/check, uncached + alternatives ({len(uncached)} distinct)",
            uncached,
            ok,
            connections=UNCACHED_CONNECTIONS,
            limit=len(uncached),
            target=Target(max_p99_ms=50),
        ),
        Row(
            "GET /services",
            [Request("GET", "/api/v1/services")],
            ok,
            target=Target(min_ratio=0.3, max_p99_ms=100),
        ),
        Row(
            "GET /appointments, one day",
            [day_listing(salon)],
            ok,
            target=Target(min_ratio=0.3, max_p99_ms=100),
        ),
        Row(
            "GET /policies/effective, cached",
            [
                Request(
                    "GET",
                    f"/api/v1/policies/effective?policy_type=cancellation&staff_id={staff_id}",
                )
            ],
            ok,
        ),
        Row(
            "voice: Retell check_availability, local service (signed)",
            [voice_local_check(salon)],
            ok,
        ),
    ]


def write_rows(salon: BenchSalon, bookings: int) -> list[Row]:
    cancels = [
        Request("POST", f"/api/v1/appointments/{appointment_id}/cancel", "{}")
        for appointment_id in salon.cancellable_ids
    ]
    return [
        Row(
            f"POST /appointments, {bookings} distinct slots",
            distinct_bookings(salon, bookings),
            frozenset({201}),
            limit=bookings,
        ),
        Row(
            f"POST /appointments, {CONTESTED} contested bookings of one slot",
            [contested_booking(salon)],
            frozenset({201, 409}),
            connections=CONTESTED,
            limit=CONTESTED,
        ),
        Row(
            f"POST /appointments/{{id}}/cancel, policy-checked ({len(cancels)})",
            cancels,
            frozenset({200}),
            limit=len(cancels),
        ),
    ]


def scale_out_rows(salon: BenchSalon) -> list[Row]:
    rows = read_rows(salon, "mariadb")
    keep = ("GET /health/live", "POST /availability/check, cached", "GET /services")
    return [
        Row(f"2 workers: {row.name}", row.requests, row.expect, target=None)
        for row in rows
        if row.name in keep
    ]


def probe(base_url: str, headers: dict[str, str], row: Row) -> None:
    """One request of the row, answered as the row expects, before the load."""
    first = row.requests[0]
    response = httpx.request(
        first.method,
        base_url + first.path,
        content=first.body,
        headers={**headers, **first.headers, "Content-Type": "application/json"},
        timeout=30,
    )
    if response.status_code not in row.expect | {200, 201}:
        raise RuntimeError(
            f"{row.name}: {first.method} {first.path} answered {response.status_code}, "
            f"expected {sorted(row.expect)}: {response.text[:300]}"
        )


def run_rows(
    base_url: str,
    headers: dict[str, str],
    rows: Iterable[Row],
    seconds: float,
    probe_first: bool = True,
) -> list[Measured]:
    measured = []
    for row in rows:
        if probe_first and row.limit is None:
            probe(base_url, headers, row)
        log(f"  {row.name} ({row.connections} connections)")
        result = run_wrk(
            row.name,
            base_url,
            row.requests,
            connections=row.connections,
            seconds=seconds,
            headers=headers,
            limit=row.limit,
        )
        measured.append(Measured(row, result))
    return measured
