"""Benchmark the service as it runs in production: uvicorn in its own process, real
databases, HTTP load from wrk.

    python -m bench [--backend sqlite|mariadb|all] [--seconds N] [--quick]

For each backend it migrates a fresh database, seeds 10 staff and 2,000 appointments, starts
the service and, in the same run, a minimal FastAPI app (the reference), drives both with
wrk and prints one table: req/s, p50, p99 and the ratio to the reference. Rows that only
Python can drive (Cal.com's faults) follow, labelled so. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import timeit
from datetime import UTC, datetime

import httpx

from bench import calcom, dispatch, policies
from bench.load import Result
from bench.scenarios import (
    Measured,
    Row,
    read_rows,
    run_rows,
    scale_out_rows,
    write_rows,
)
from bench.seed import BenchSalon, seed
from bench.server import MYSQL_URL, log, migrate, reset_mysql, reset_redis, serve, service_env
from bench.wrk import Request, WrkMissingError, wrk_binary


def phase_creation_ms() -> float:
    """Planning a colour's phases and building their rows, as a booking does."""
    from app.scheduling.models import AppointmentPhase
    from app.scheduling.phases import phase_rows
    from app.tenancy.models import Service

    colour = Service(
        id=1,
        company_id=1,
        duration_minutes=90,
        has_processing_time=True,
        initial_duration=30,
        processing_duration=30,
        final_duration=30,
    )
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def build() -> list[AppointmentPhase]:
        return phase_rows(colour, 1, 1, start)

    runs = 2000
    return timeit.timeit(build, number=runs) / runs * 1000


def reference_row(check_body: str, seconds: float) -> Measured:
    from bench.scenarios import run_rows as run

    row = Row(
        "reference: minimal FastAPI, POST with the check's 3-field body",
        [Request("POST", "/check", check_body)],
        frozenset({200}),
    )
    with serve("bench.reference:create_app", ready_path="/live") as url:
        return run(url, {}, [row], seconds)[0]


def print_table(title: str, reference: Measured, rows: list[Measured]) -> bool:
    """The table; False when a fixed-count row answered other than expected."""
    ref_rps = reference.result.rps
    print(f"\n### {title}\n")
    print("| row | conns | requests | req/s | p50 ms | p99 ms | × ref | statuses | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    ok = True
    for measured in [reference, *rows]:
        row, r = measured.row, measured.result
        if r.statuses:
            statuses = ", ".join(f"{code}: {n}" for code, n in sorted(r.statuses.items()))
            ok &= set(r.statuses) <= row.expect
        else:
            statuses = f"non-2xx: {r.non_2xx}" if r.non_2xx else "all 2xx"
            ok &= r.non_2xx == 0
        if r.socket_errors:
            statuses += f", socket errors: {r.socket_errors}"
        target = ""
        if row.target is not None:
            verdict = "met" if row.target.met(r, ref_rps) else "MISSED"
            target = f"{row.target.describe()}: {verdict}"
        print(
            f"| {row.name} | {row.connections} | {r.requests} | {r.rps:,.0f} | "
            f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {measured.ratio(ref_rps):.2f} | {statuses} | "
            f"{target} |"
        )
    return ok


def print_python_rows(title: str, results: list[Result]) -> None:
    print(f"\n{title} (driven from Python with httpx, one request at a time)\n")
    print("| row | requests | p50 ms | p95 ms | p99 ms | max ms | statuses |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(r.statuses.items()))
        print(
            f"| {r.name} | {r.requests} | {r.percentile(50):.1f} | {r.percentile(95):.1f} | "
            f"{r.percentile(99):.1f} | {max(r.latencies_ms):.1f} | {statuses} |"
        )


def contested_verdict(rows: list[Measured]) -> bool:
    contested = next(m for m in rows if "contested" in m.row.name)
    won = contested.result.statuses.get(201, 0)
    lost = contested.result.statuses.get(409, 0)
    verdict = "OK" if won == 1 else "DOUBLE BOOKING OR NO WINNER"
    print(
        f"\nContested slot: {won} of {contested.result.requests} succeeded ({verdict}); "
        f"{lost} answered 409."
    )
    return won == 1


async def bench_backend(
    name: str, key: str, database_url: str, redis_url: str | None, args: argparse.Namespace
) -> bool:
    log(f"{name}: migrating {database_url.split('@')[-1]}")
    await asyncio.to_thread(migrate, database_url)
    log(f"{name}: seeding 10 staff and 2,000 appointments")
    salon: BenchSalon = await seed(database_url)
    headers = {"Authorization": f"Bearer {salon.api_key}"}
    env = service_env(database_url, redis_url, "")
    ok = True
    with serve("tools.fake_calcom:create_app", dict(os.environ), "/v2/slots") as calcom_url:
        env = service_env(database_url, redis_url, calcom_url)
        reads = read_rows(salon, key)
        cached_body = reads[1].requests[0].body
        assert cached_body is not None
        wanted = [part.strip() for part in args.only.split(",") if part.strip()]

        def chosen(rows: list[Row]) -> list[Row]:
            return [row for row in rows if not wanted or any(w in row.name for w in wanted)]

        log(f"{name}: reference app")
        reference = reference_row(cached_body, args.seconds)
        with serve("app.main:run_app", env) as base_url:
            async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
                await policies.configure(client, salon)
            log(f"{name}: service up at {base_url}; wrk rows")
            measured = run_rows(base_url, headers, chosen(reads), args.seconds)
            writes = chosen(write_rows(salon, args.bookings))
            measured += run_rows(base_url, headers, writes, args.seconds)
            python_rows: list[Result] = []
            if not wanted:
                log(f"{name}: Cal.com rows (300 ms latency, hanging, breaker open)")
                python_rows = await calcom.scenarios(base_url, calcom_url, salon, args.quick)
        scale_out = chosen(scale_out_rows(salon))
        if redis_url and scale_out:
            log(f"{name}: 2 uvicorn workers")
            with serve("app.main:run_app", env, workers=2) as base_url:
                measured += run_rows(base_url, headers, scale_out, args.seconds)
    dispatched = None
    if not wanted or any(w in "dispatcher" for w in wanted):
        log(f"{name}: notification dispatcher, {dispatch.ROWS:,} due rows")
        dispatched = await dispatch.measure(database_url, salon)
    cache = "Redis" if redis_url else "in-process cache"
    ok &= print_table(f"{name} + {cache}", reference, measured)
    if any("contested" in m.row.name for m in measured):
        ok &= contested_verdict(measured)
    if python_rows:
        print_python_rows(f"{name}: Cal.com and voice fault rows", python_rows)
    if dispatched is not None:
        ok &= print_dispatch(name, dispatched)
    return ok


def print_dispatch(name: str, figure: dispatch.DispatchFigure) -> bool:
    complete = figure.sent == figure.rows
    print(
        f"\n{name}: notification dispatcher (Python-driven, one dispatcher as the worker runs "
        f"it): {figure.rows:,} due rows, half e-mail to a local SMTP server (aiosmtpd), half "
        f"SMS to a fake provider, in {figure.seconds:.1f} s: "
        f"**{figure.rows_per_second:,.0f} rows/s** ({figure.line})"
        + ("" if complete else " — NOT EVERY ROW SENT")
    )
    return complete


def print_pure_figures() -> None:
    from bench.speech_parse import measure

    parsed = measure(rounds=50, dateparser_rounds=0)
    grammar = parsed["grammar"]
    print(
        f"\nVoice date/time parse (bench/speech_parse.py, {parsed['cases']} phrases): "
        f"{grammar['us_per_parse']:.1f} µs per parse, {grammar['covered']} of "
        f"{parsed['cases']} understood"
    )
    print(
        f"Phase creation inside a booking (plan + rows for a 30/30/30 colour): "
        f"{phase_creation_ms():.3f} ms"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "all"], default="all")
    parser.add_argument("--seconds", type=float, default=8, help="per throughput row (8)")
    parser.add_argument("--bookings", type=int, default=1000, help="distinct bookings (1000)")
    parser.add_argument("--quick", action="store_true", help="3 s rows, fewer requests")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts of row names: only those wrk rows (and no Python rows "
        "but the dispatcher's), e.g. --only cached,services to measure one change, --only "
        "dispatcher for the notification dispatcher",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.bookings = 3, 300
    try:
        wrk_binary()
    except WrkMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"# Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, wrk -t1")
    ok = True
    if args.backend in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as tmp:
            db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            ok &= await bench_backend("SQLite", "sqlite", db_url, None, args)
    if args.backend in ("mariadb", "all") and await reset_mysql():
        ok &= await bench_backend("MariaDB", "mariadb", MYSQL_URL, await reset_redis(), args)
    if not args.only:
        print_pure_figures()
    print(
        f"\n{'OK' if ok else 'FAILED'}: every row answered as expected"
        if ok
        else "\nFAILED: a row answered other than expected (see statuses)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
