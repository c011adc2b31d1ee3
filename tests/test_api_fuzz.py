"""The API fuzzed from its own OpenAPI document (schemathesis) against a served instance.

Every operation is called with generated valid and invalid input, with a company key and
with the admin key. The run fails on any 5xx, on a response that does not match its
documented schema or content type, and on a status code the document does not list.

The served instance runs in a directory of its own (no `.env`), on the suite's database
(and Redis, when the suite has one), seeded with the demo salon. `FUZZ_EXAMPLES` raises
the examples per operation for a deeper run (`make fuzz`); the seed is fixed so CI is
reproducible, `FUZZ_SEED` changes it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.db import create_engine, create_sessionmaker
from app.ops.seed import seed_demo
from tests.conftest import ADMIN_KEY, REDIS_URL, _empty_tables

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
SEED = os.environ.get("FUZZ_SEED", "20261130")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def seeded(database_url: str) -> Iterator[str]:
    """The demo salon in the suite's database; its company key. Emptied afterwards."""
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session:
            seed = await seed_demo(session)
            await session.commit()
        assert seed.api_key is not None
        yield seed.api_key
    finally:
        await _empty_tables(sessionmaker)
        await engine.dispose()


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The service under uvicorn, in an empty directory (no `.env`) on a free port."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEST_", "FEATURE_", "CALCOM_", "RETELL_", "DATABASE_", "REDIS_"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "ADMIN_API_KEY": ADMIN_KEY,
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "LOG_LEVEL": "ERROR",
        "LOG_FORMAT": "text",
    }
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "uvicorn"), "--factory", "app.main:run_app", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the service did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _fuzz(url: str, key: str, tmp_path: Path, *exclude: str) -> subprocess.CompletedProcess:
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    for operation_id in exclude:
        command += ["--exclude-operation-id", operation_id]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)


def _failures(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    start = output.find("=== FAILURES")
    return output[start:] if start >= 0 else output[-6000:]


async def test_the_api_answers_every_generated_request_as_documented(
    seeded: str, served: str, tmp_path: Path
):
    # Company key first, without the one operation that revokes the key it runs with.
    print(f"schemathesis seed {SEED}, {EXAMPLES} examples per operation")
    company = _fuzz(served, seeded, tmp_path, "revoke_api_key")
    assert company.returncode == 0, _failures(company)
    admin = _fuzz(served, ADMIN_KEY, tmp_path)
    assert admin.returncode == 0, _failures(admin)
