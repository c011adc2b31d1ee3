"""The watcher's view of Redis: a stall during a resync is a stall; a busy event loop is not.

The generations are copied from the database while Redis may stall: a pause that ends just
before the copy is answered could have made another process's copy fail after the rows were
read, so such a resync must not put the copies in step. And a process whose event loop is
busy (CPU-bound requests) has not seen Redis stall: its copies stay trusted.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from app.cache import HEARTBEAT_SECONDS, STALL_SECONDS, RedisCache

# Long enough for the heartbeat to see it wherever it starts; shorter than the pipeline's
# own time budget, so the resync's copy is answered, late.
PAUSE_SECONDS = STALL_SECONDS + HEARTBEAT_SECONDS + 0.03


async def wait_until(condition, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_a_resync_whose_pipeline_waits_out_a_pause_does_not_put_copies_in_step(
    private_redis,
):
    calls: list[tuple[float, datetime | None, bool]] = []
    loop = asyncio.get_running_loop()
    cache = RedisCache(private_redis.url)

    async def source(since: datetime | None):
        calls.append((time.monotonic(), since, cache.copies_trusted()))
        if len(calls) == 1:
            # Redis stops right after the rows are read and comes back while the pipeline
            # that copies them waits: the pipeline is answered, late.
            private_redis.pause()
            loop.call_later(PAUSE_SECONDS, private_redis.resume)
        return [("gen:auth", 3)]

    try:
        await cache.start(source)
        assert await wait_until(lambda: len(calls) >= 2), "no second resync within 2 s"
    finally:
        private_redis.resume()
        await cache.close()

    (first_at, _, _), (second_at, since, trusted) = calls[0], calls[1]
    assert trusted is False, "copies were trusted after a resync that waited out a pause"
    assert since is None, "the next resync was a poll: the slow one was taken as in step"
    assert second_at - first_at < 1.0
    with private_redis.client() as client:
        assert client.get("gen:auth") == "3"


async def test_a_busy_event_loop_is_not_taken_for_a_redis_stall(private_redis):
    async def source(since: datetime | None):
        return [("gen:auth", 1)]

    cache = RedisCache(private_redis.url)
    try:
        await cache.start(source)
        assert await wait_until(cache.copies_trusted), "copies not in step within 2 s"
        time.sleep(STALL_SECONDS * 3)  # noqa: ASYNC251 (CPU-bound work holding the loop)
        assert cache.copies_trusted(), "a busy loop was taken for a stall"
        assert await cache.read_versioned("gen:auth", "auth", "key") == (1, None)
    finally:
        await cache.close()
