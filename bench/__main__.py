"""Benchmark the service as it runs in production: uvicorn in its own process, real databases.

    python -m bench [--backend sqlite|mariadb|all] [--quick]

For each backend it migrates a fresh database, seeds 10 staff and 2,000 appointments, starts
the service, drives it from this process and prints one table (latencies in milliseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench import calcom, policies
from bench.load import Result, run
from bench.seed import BenchSalon, seed

ROOT = Path(__file__).resolve().parent.parent
MYSQL_URL = os.environ.get(
    "BENCH_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306/bench?charset=utf8mb4"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def service_env(database_url: str, redis_url: str | None, calcom_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "FEATURE_PROCESSING_TIME_ENABLED": "true",
        "DATABASE_POOL_SIZE": "20",
        "DATABASE_MAX_OVERFLOW": "30",
        "ENVIRONMENT": "production",
        "CALCOM_BASE_URL": f"{calcom_url}/v2",
        "CALCOM_API_KEY": "cal_bench_key",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def serve(factory: str, env: dict[str, str], ready_path: str = "/health/live") -> Iterator[str]:
    """Run `uvicorn --factory <factory>` on a free port until the block ends."""
    port = free_port()
    # Kept after the run so a failed start can be read.
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115
        prefix="bench-server-", suffix=".log", delete=False
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "3",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=log_file)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base_url}{ready_path}", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{factory} did not start; see {log_file.name}")
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()  # e.g. the fake Cal.com still holding hung requests open
            process.wait()


async def reset_mysql() -> bool:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from app.db import create_engine

    url = make_url(MYSQL_URL)
    engine = create_engine(url.set(database="").render_as_string(hide_password=False))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS `{url.database}`"))
            await connection.execute(text(f"CREATE DATABASE `{url.database}`"))
    except Exception as exc:  # unreachable server: the backend is skipped, the reason printed
        log(f"MariaDB not reachable at {url.host}:{url.port} ({exc.__class__.__name__}); skipped")
        return False
    finally:
        await engine.dispose()
    return True


async def reset_redis() -> str | None:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await client.flushdb()
    except Exception as exc:  # as above: reported and skipped
        log(f"Redis not reachable at {REDIS_URL} ({exc.__class__.__name__}); in-process cache used")
        return None
    finally:
        await client.aclose()
    return REDIS_URL


async def scenarios(base_url: str, salon: BenchSalon, quick: bool) -> list[Result]:
    scale = 0.25 if quick else 1.0
    headers = {"Authorization": f"Bearer {salon.api_key}"}
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=250)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as client:
        taken = salon.taken_starts

        def check_body(index: int) -> dict:
            staff_id, start = taken[index % len(taken)]
            return {
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "staff_id": staff_id,
                "start": start.replace(tzinfo=None).isoformat(),
            }

        cached_body = check_body(0)
        await client.post("/api/v1/availability/check", json=cached_body)  # warm the cache
        far_day = datetime.combine(salon.first_day + timedelta(days=21), datetime.min.time())
        while far_day.weekday() >= 5:
            far_day += timedelta(days=1)

        def booking(index: int, staff_id: int, start: datetime) -> dict:
            return {
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "staff_id": staff_id,
                "start": start.isoformat(),
                "customer": {"name": f"Bench {index}", "phone": f"+49152{30000000 + index:08d}"},
            }

        def distinct_booking(index: int) -> dict:
            staff_id = salon.staff_ids[index % len(salon.staff_ids)]
            start = far_day.replace(hour=8) + timedelta(
                minutes=30 * (index // len(salon.staff_ids))
            )
            return booking(index, staff_id, start)

        contested_start = far_day.replace(hour=19) + timedelta(days=1)
        results = [
            await run(
                client,
                "GET /health/live (baseline)",
                lambda c, i: c.get("/health/live"),
                int(4000 * scale),
                200,
            ),
            await run(
                client,
                "availability/check, cached",
                lambda c, i: c.post("/api/v1/availability/check", json=cached_body),
                int(4000 * scale),
                200,
            ),
            await run(
                client,
                "availability/check, uncached + alternatives",
                lambda c, i: c.post("/api/v1/availability/check", json=check_body(i + 1)),
                int(600 * scale),
                10,
            ),
            await run(
                client,
                "availability/check, uncached + alternatives, one at a time",
                lambda c, i: c.post("/api/v1/availability/check", json=check_body(i + 1000)),
                int(300 * scale),
                1,
            ),
            *await policies.scenarios(client, salon, scale),
            await run(
                client,
                "book distinct slots",
                lambda c, i: c.post("/api/v1/appointments", json=distinct_booking(i)),
                int(200 * scale),
                20,
            ),
            await run(
                client,
                "200 concurrent bookings of one slot",
                lambda c, i: c.post(
                    "/api/v1/appointments",
                    json=booking(10_000 + i, salon.staff_ids[0], contested_start),
                ),
                200,
                200,
            ),
        ]
    return results


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


def print_table(backend: str, results: list[Result]) -> None:
    baseline = results[0].rps
    print(f"\n### {backend}\n")
    print(
        "| scenario | requests | concurrency | p50 ms | p95 ms | p99 ms | req/s "
        "| vs /health/live | statuses |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(r.statuses.items()))
        print(
            f"| {r.name} | {r.requests} | {r.concurrency} | {r.percentile(50):.1f} | "
            f"{r.percentile(95):.1f} | {r.percentile(99):.1f} | {r.rps:.0f} | "
            f"{r.rps / baseline:.2f} | {statuses} |"
        )
    contested = next(r for r in results if r.name.startswith("200 concurrent"))
    verdict = "OK" if contested.statuses.get(201) == 1 else "DOUBLE BOOKING OR NO WINNER"
    print(
        f"\nContested slot: {contested.statuses.get(201, 0)} of 200 succeeded ({verdict}); "
        f"{contested.statuses.get(409, 0)} answered 409 with alternatives."
    )


async def bench_backend(name: str, database_url: str, redis_url: str | None, quick: bool) -> bool:
    log(f"{name}: migrating {database_url.split('@')[-1]}")
    await asyncio.to_thread(migrate, database_url)
    log(f"{name}: seeding 10 staff and 2,000 appointments")
    salon = await seed(database_url)
    with (
        serve("tools.fake_calcom:create_app", dict(os.environ), "/v2/slots") as calcom_url,
        serve("app.main:run_app", service_env(database_url, redis_url, calcom_url)) as base_url,
    ):
        log(f"{name}: service up at {base_url}, fake Cal.com at {calcom_url}; running scenarios")
        results = await scenarios(base_url, salon, quick)
        log(f"{name}: Cal.com scenarios (300 ms latency, hanging, breaker open)")
        results += await calcom.scenarios(base_url, calcom_url, salon, quick)
    print_table(f"{name} ({'Redis' if redis_url else 'in-process cache'})", results)
    contested = next(r for r in results if r.name.startswith("200 concurrent"))
    return contested.statuses.get(201) == 1


async def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="a quarter of the requests")
    args = parser.parse_args()
    print(f"# Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    ok = True
    if args.backend in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as tmp:
            ok &= await bench_backend(
                "SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", None, args.quick
            )
    if args.backend in ("mariadb", "all") and await reset_mysql():
        ok &= await bench_backend("MariaDB", MYSQL_URL, await reset_redis(), args.quick)
    print(
        f"\nPhase creation inside a booking (plan + rows for a 30/30/30 colour): "
        f"{phase_creation_ms():.3f} ms"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
