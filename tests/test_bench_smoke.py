"""`make bench` stays runnable: its modules import and its load generator drives the app."""

import importlib

from bench.load import run


async def test_bench_modules_import():
    for module in ("bench.__main__", "bench.calcom", "bench.policies", "bench.seed", "bench.wrk"):
        importlib.import_module(module)


async def test_load_generator_counts_statuses_and_latencies(client):
    result = await run(client, "health", lambda c, i: c.get("/health/live"), 20, 4)
    assert result.statuses == {200: 20}
    assert len(result.latencies_ms) == 20
    assert result.percentile(50) <= result.percentile(99)
    assert result.rps > 0
