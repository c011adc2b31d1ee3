"""Many Redis calls in flight at once (a burst of bookings) are Redis working, not Redis down:
the copies stay trusted and nothing falls back."""

from __future__ import annotations

import asyncio

from tests.faults.test_redis_resync import wait_until


async def test_three_hundred_calls_at_once_keep_the_copies_trusted(app):
    cache = app.state.cache
    assert await wait_until(cache.copies_trusted), "copies not in step at start"

    await asyncio.gather(*(cache.incr("burst", 60) for _ in range(300)))

    assert cache.copies_trusted()
    assert not cache.degraded
