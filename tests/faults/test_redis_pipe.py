"""The rate-limit script's own auto-pipelined connection (app.redis_pipe) against a
redis-server of the test's own: answers in order under load, survives a script flush, a
killed connection and a restarted server."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import RedisError

from app.cache import _INCR_READING
from app.redis_pipe import PipelinedScript


@pytest.fixture
async def script(private_redis):
    pipelined = PipelinedScript.from_url(private_redis.url.replace("/0", "/3"), _INCR_READING)
    assert pipelined is not None
    yield pipelined
    pipelined.close()


async def test_concurrent_calls_each_get_their_own_count(script, private_redis):
    with private_redis.client() as client:
        client.execute_command("SELECT", 3)
    answers = await asyncio.gather(
        *(script(keys=[f"counter:{i % 7}", "gen:auth"], args=[60000]) for i in range(700))
    )
    counts: dict[int, list[int]] = {}
    for i, (count, generation) in enumerate(answers):
        assert generation == "0"
        counts.setdefault(i % 7, []).append(count)
    # Each counter was counted 100 times, each caller got a count of its own.
    assert all(sorted(seen) == list(range(1, 101)) for seen in counts.values())


async def test_the_calls_land_in_the_database_of_the_url(script, private_redis):
    await script(keys=["counter:db", "gen:auth"], args=[60000])
    with private_redis.client() as client:
        assert client.get("counter:db") is None
        client.execute_command("SELECT", 3)
        assert client.get("counter:db") == "1"


async def test_a_flushed_script_is_loaded_again(script, private_redis):
    await script(keys=["counter:f", "gen:auth"], args=[60000])
    with private_redis.client() as client:
        client.script_flush()
    count, _ = await script(keys=["counter:f", "gen:auth"], args=[60000])
    assert count == 2


async def test_a_killed_connection_fails_its_calls_and_the_next_call_reconnects(
    script, private_redis
):
    await script(keys=["counter:k", "gen:auth"], args=[60000])
    with private_redis.client() as client:
        client.client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(RedisError):
        await asyncio.wait_for(script(keys=["counter:k", "gen:auth"], args=[60000]), 1.0)
    count, _ = await script(keys=["counter:k", "gen:auth"], args=[60000])
    assert count >= 2


async def test_a_restarted_server_is_reconnected_to(script, private_redis):
    await script(keys=["counter:r", "gen:auth"], args=[60000])
    private_redis.restart()
    for _ in range(20):  # the first calls may meet the old, closed connection
        try:
            count, _ = await asyncio.wait_for(
                script(keys=["counter:r", "gen:auth"], args=[60000]), 1.0
            )
            break
        except (RedisError, TimeoutError):
            await asyncio.sleep(0.05)
    else:
        pytest.fail("no answer from the restarted server within 20 tries")
    assert count == 1  # an empty server: the count started again


async def test_a_call_to_a_server_that_is_down_fails_fast(private_redis):
    pipelined = PipelinedScript.from_url(private_redis.url, _INCR_READING)
    private_redis.kill()
    with pytest.raises(RedisError):
        await asyncio.wait_for(pipelined(keys=["c", "gen:auth"], args=[60000]), 1.0)
    pipelined.close()
