"""The processes a benchmark run needs: databases made fresh, the service (and the reference
app, the fake Cal.com) under uvicorn, each in its own process on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# A database and a Redis db of the benchmark's own: the test suite's (`test`, db 15) are
# never touched.
MYSQL_URL = os.environ.get(
    "BENCH_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306/bench?charset=utf8mb4"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
RETELL_API_KEY = "key_retell_bench_0123456789"


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
        "RETELL_API_KEY": RETELL_API_KEY,
        # The rate limit is counted on every request, as in production, but never reached.
        "RATE_LIMIT_PER_MINUTE": str(10**9),
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def serve(
    factory: str,
    env: dict[str, str] | None = None,
    ready_path: str = "/health/live",
    workers: int = 1,
) -> Iterator[str]:
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
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env or dict(os.environ), stdout=log_file, stderr=log_file
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{factory} exited at start; see {log_file.name}")
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
