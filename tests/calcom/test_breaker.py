"""Circuit breaker: opens after 5 failures, answers fast while open, probes, shares state."""

from datetime import UTC, datetime

import pytest

from app.cache import RedisCache
from app.calcom.breaker import BreakerState, CircuitBreaker
from app.calcom.client import CalcomClient
from app.calcom.errors import CalcomCircuitOpenError, CalcomRejectedError, CalcomUnavailableError
from tests.conftest import REDIS_URL

START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 2, tzinfo=UTC)


async def fail_times(calcom, fake, n):
    for _ in range(n):
        fake.fail_statuses = [503, 503, 503]  # three attempts, all failing
        with pytest.raises(CalcomUnavailableError):
            await calcom.get_slots(1, START, END)


class TestBreaker:
    async def test_five_failures_open_it_and_calls_stop_reaching_calcom(
        self, calcom, fake, breaker
    ):
        await fail_times(calcom, fake, 4)
        assert await breaker.state() == BreakerState.CLOSED
        await fail_times(calcom, fake, 1)
        assert await breaker.state() == BreakerState.OPEN
        sent = len(fake.requests)
        with pytest.raises(CalcomCircuitOpenError):
            await calcom.get_slots(1, START, END)
        assert len(fake.requests) == sent  # refused here, without waiting on Cal.com

    async def test_success_resets_the_consecutive_count(self, calcom, fake, breaker):
        await fail_times(calcom, fake, 4)
        await calcom.get_slots(1, START, END)
        await fail_times(calcom, fake, 4)
        assert await breaker.state() == BreakerState.CLOSED

    async def test_4xx_does_not_trip_it(self, calcom, fake, breaker):
        for _ in range(6):
            fake.fail_statuses = [422]
            with pytest.raises(CalcomRejectedError):
                await calcom.get_slots(1, START, END)
        assert await breaker.state() == BreakerState.CLOSED

    async def test_half_open_probe_success_closes(self, calcom, fake, breaker, clock):
        await fail_times(calcom, fake, 5)
        clock.now += 61
        assert await breaker.state() == BreakerState.HALF_OPEN
        await calcom.get_slots(1, START, END)
        assert await breaker.state() == BreakerState.CLOSED

    async def test_half_open_probe_failure_opens_again_for_a_full_period(
        self, calcom, fake, breaker, clock
    ):
        await fail_times(calcom, fake, 5)
        clock.now += 61
        await fail_times(calcom, fake, 1)
        assert await breaker.state() == BreakerState.OPEN
        clock.now += 59
        assert await breaker.state() == BreakerState.OPEN

    async def test_only_one_probe_goes_out_while_half_open(self, breaker, clock):
        for _ in range(5):
            await breaker.record_failure()
        clock.now += 61
        await breaker.before_call()  # the probe
        with pytest.raises(CalcomCircuitOpenError):
            await breaker.before_call()

    async def test_redis_down_falls_back_to_a_working_local_breaker(self, clock):
        dead = RedisCache("redis://127.0.0.1:6390/0")
        breaker = CircuitBreaker(dead, "calcom", clock=clock)
        for _ in range(5):
            await breaker.record_failure()
        assert await breaker.state() == BreakerState.OPEN
        await dead.close()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
async def test_two_instances_on_one_redis_share_the_breaker(http, fake, clock):
    first_cache, second_cache = RedisCache(REDIS_URL), RedisCache(REDIS_URL)
    await first_cache._redis.flushdb()
    first = CalcomClient(
        http,
        "http://calcom.test/v2",
        None,
        CircuitBreaker(first_cache, "calcom", clock=clock),
        read_timeout=0.5,
    )
    second_breaker = CircuitBreaker(second_cache, "calcom", clock=clock)
    second = CalcomClient(http, "http://calcom.test/v2", None, second_breaker, read_timeout=0.5)
    await fail_times(first, fake, 5)
    assert await second_breaker.state() == BreakerState.OPEN
    with pytest.raises(CalcomCircuitOpenError):
        await second.get_slots(1, START, END)
    await first_cache.close()
    await second_cache.close()
