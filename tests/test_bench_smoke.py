"""`make bench` stays runnable: its modules import, its load generators drive a server."""

import importlib
import json
import shutil

import pytest

from bench.load import run
from bench.server import serve
from bench.wrk import Request, run_wrk


async def test_bench_modules_import():
    for module in ("bench.__main__", "bench.calcom", "bench.policies", "bench.seed", "bench.wrk"):
        importlib.import_module(module)


async def test_load_generator_counts_statuses_and_latencies(client):
    result = await run(client, "health", lambda c, i: c.get("/health/live"), 20, 4)
    assert result.statuses == {200: 20}
    assert len(result.latencies_ms) == 20
    assert result.percentile(50) <= result.percentile(99)
    assert result.rps > 0


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_wrk_rows_count_requests_and_statuses_against_a_served_app():
    body = json.dumps({"branch_id": 1, "service_id": 2, "start": "2030-01-08T10:00:00"})
    with serve("bench.reference:create_app", ready_path="/live") as url:
        timed = run_wrk("timed", url, [Request("POST", "/check", body)], connections=4, seconds=1)
        fixed = run_wrk(
            "fixed",
            url,
            [Request("POST", "/check", body), Request("POST", "/check", "{}")],
            connections=4,
            seconds=1,
            limit=50,
        )
    assert timed.requests > 0 and timed.non_2xx == 0
    assert timed.p50_ms <= timed.p99_ms
    assert fixed.requests == 50
    assert fixed.statuses == {200: 25, 422: 25}
