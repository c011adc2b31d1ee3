"""Generations read ahead with the rate-limit count (one Redis round trip per cached answer)
and the entries a process keeps: used only within their request, and never across a stall.

Against a redis-server of the test's own (tests/faults/conftest.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest

from app.cache import (
    LocalCopies,
    RedisCache,
    end_read_ahead_scope,
    read_ahead_scope,
    versioned_key,
)
from tests.faults.test_redis_resync import wait_until

GENERATION = "gen:avail:1"


@pytest.fixture
async def cache(private_redis):
    async def source(since: datetime | None):
        return [(GENERATION, 4), ("gen:auth", 1)]

    cache = RedisCache(private_redis.url)
    await cache.start(source)
    assert await wait_until(cache.copies_trusted), "copies not in step within 2 s"
    yield cache
    await cache.close()


@contextmanager
def one_request() -> Iterator[None]:
    """What the middleware does around each request: nothing read ahead before it."""
    token = read_ahead_scope()
    try:
        yield
    finally:
        end_read_ahead_scope(token)


async def _count_reading_ahead(cache: RedisCache) -> None:
    count, auth = await cache.incr_reading("ratelimit:t", 61, "gen:auth", [GENERATION])
    assert auth == 1


async def test_an_entry_under_the_generation_read_ahead_is_served_and_then_kept(
    cache, private_redis
):
    await cache.write_versioned(versioned_key("avail:1", 4, "k"), "stored", 60)
    with one_request():
        await _count_reading_ahead(cache)
        with private_redis.client() as client:
            client.delete(versioned_key("avail:1", 4, "k"))  # only the process's copy is left
        assert await cache.read_versioned(GENERATION, "avail:1", "k") == (4, "stored")


async def test_a_generation_read_ahead_serves_its_own_request_only(cache, private_redis):
    with one_request():
        await _count_reading_ahead(cache)
        with private_redis.client() as client:
            client.set(GENERATION, 5)  # another process's change commits meanwhile
        # The request reads what was current when it was counted...
        assert await cache.read_versioned(GENERATION, "avail:1", "k") == (4, None)
    with one_request():  # ...the next request sees the change.
        assert await cache.read_versioned(GENERATION, "avail:1", "k") == (5, None)


async def test_a_request_that_changes_the_state_reads_its_own_change(cache):
    with one_request():
        await _count_reading_ahead(cache)
        await cache.raise_generation(GENERATION, 5)  # this request's change, committed
        assert await cache.read_versioned(GENERATION, "avail:1", "k") == (5, None)


async def test_a_stall_after_the_read_ahead_makes_it_unusable(cache, private_redis):
    with one_request():
        await _count_reading_ahead(cache)
        with private_redis.paused():
            await asyncio.sleep(0.4)  # the heartbeat counts a stall
        with private_redis.client() as client:
            client.set(GENERATION, 9)  # as if a change's copy landed meanwhile
        assert await wait_until(cache.copies_trusted), "copies not in step again within 2 s"
        found = await cache.read_versioned(GENERATION, "avail:1", "k")
        assert found is not None and found[0] != 4, "a generation read before a stall was used"


class TestLocalCopies:
    def test_an_entry_expires_with_its_ttl(self):
        copies = LocalCopies()
        copies.put("a", "value", 0.05)
        assert copies.get("a") == "value"
        time.sleep(0.06)
        assert copies.get("a") is None

    def test_the_oldest_go_first_when_the_budget_is_spent(self):
        copies = LocalCopies(max_bytes=400)
        for name in "abcde":
            copies.put(name, name * 90, 60)
        assert copies.get("a") is None
        assert [copies.get(name) is not None for name in "bcde"] == [True] * 4

    def test_an_entry_too_big_for_the_budget_is_not_kept(self):
        copies = LocalCopies(max_bytes=400)
        copies.put("big", "x" * 101, 60)
        assert copies.get("big") is None
