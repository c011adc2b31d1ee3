"""The cache stays truthful and fast when Redis hangs (SIGSTOP) or dies (SIGKILL).

Every test runs two app instances on the suite's database and a private redis-server
(tests/faults/conftest.py). What a user relies on:

- revocation, deactivation and a booking made while Redis cannot be written are honoured
  by every instance from the moment Redis answers again: no old copy is served afterwards;
- while Redis hangs or is down, every request is answered (from the database or the
  in-process fallback) within a few hundred milliseconds, not after seconds of waiting;
- readiness reports Redis while it hangs, and the service returns to the cache after.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import update

from app.auth import hash_api_key
from app.cache import OP_TIMEOUT_SECONDS, RedisCache
from app.db import run_after_commit, utcnow
from app.invalidation import CacheGeneration
from app.tenancy.companies import ApiKeyService
from tests.conftest import ADMIN_KEY, make_client
from tests.salon import BERLIN, anna_on_the_first, booking, local

SERVICES = "/api/v1/services"
CHECK = "/api/v1/availability/check"
LISTING = "/api/v1/availability"
APPOINTMENTS = "/api/v1/appointments"
DAY_ONE = {"date_from": "2026-12-01T00:00:00", "date_to": "2026-12-02T00:00:00"}
# Generous bounds: before the watcher, every request took 2.5-4.5 s while Redis hung.
REQUEST_BOUND_SECONDS = 1.0
MEDIAN_BOUND_SECONDS = 0.3
# How long a refusal (or a booked slot) is watched after Redis is back.
HONOURED_FOR_SECONDS = 1.5
RECOVERY_SECONDS = 2.0


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await request
    return response, time.perf_counter() - started


def cached_key_entries(private_redis, raw_key: str) -> list[str]:
    """The resolved copies of a key held in Redis (under any generation)."""
    with private_redis.client() as client:
        return client.keys(f"auth:*:{hash_api_key(raw_key)}")


async def use_key_on(*clients: httpx.AsyncClient) -> None:
    """Two requests per instance: the first resolves and stores the key, the second reads it."""
    for _ in range(2):
        for client in clients:
            response = await client.get(SERVICES)
            assert response.status_code == 200, response.text


async def until_cached(requests: Callable[[], Awaitable[None]], cached: Callable[[], bool]):
    """Make the requests until their answers are in Redis. (A process that saw a stall,
    e.g. on a loaded machine, stores nothing until it is in step again.)"""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        await requests()
        if cached():
            return
        assert time.monotonic() < deadline, "the answers were not cached in Redis within 2 s"
        await asyncio.sleep(0.02)


async def key_cached(private_redis, raw_keys: list[str], *clients: httpx.AsyncClient) -> None:
    await until_cached(
        lambda: use_key_on(*clients),
        lambda: all(cached_key_entries(private_redis, raw_key) for raw_key in raw_keys),
    )


async def refused_from_now_on(*clients: httpx.AsyncClient) -> None:
    """The key is refused at once, and keeps being refused, on every instance."""
    deadline = time.monotonic() + HONOURED_FOR_SECONDS
    attempt = 0
    while True:
        for number, client in enumerate(clients):
            response = await client.get(SERVICES)
            assert response.status_code == 401, (
                f"instance {number} accepted the key on attempt {attempt} after Redis "
                f"came back: {response.status_code} {response.text}"
            )
        attempt += 1
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(0.02)


async def wait_for(condition: Callable[[], bool], seconds: float = RECOVERY_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def wait_until_ready(client: httpx.AsyncClient) -> httpx.Response:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        response = await client.get("/health/ready")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.02)


def check_body(salon, start: str) -> dict:
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": salon.anna_id,
        "start": start,
    }


def offered_starts(listing: httpx.Response) -> set[datetime]:
    assert listing.status_code == 200, listing.text
    return {
        datetime.fromisoformat(slot["start"])
        for day in listing.json()["days"]
        for slot in day["slots"]
    }


def berlin(start: str) -> datetime:
    return datetime.fromisoformat(start).replace(tzinfo=BERLIN)


def assert_fast(durations: list[float], what: str) -> None:
    slowest = max(durations)
    median = statistics.median(durations)
    assert slowest < REQUEST_BOUND_SECONDS, f"{what}: slowest {slowest:.3f} s ({durations})"
    assert median < MEDIAN_BOUND_SECONDS, f"{what}: median {median:.3f} s ({durations})"


async def test_key_revoked_while_redis_is_paused_is_refused_everywhere_after_resume(
    app, other_app, tenant, private_redis
):
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
    ):
        await key_cached(private_redis, [tenant.api_key], a, b)

        with private_redis.paused():
            revoked, seconds = await timed(a.delete(f"/api/v1/api-keys/{tenant.key_id}"))
            assert revoked.status_code == 200, revoked.text
            assert revoked.json()["id"] == tenant.key_id
            assert revoked.json()["revoked_at"] is not None
            assert seconds < REQUEST_BOUND_SECONDS, f"revoking took {seconds:.3f} s"

        await refused_from_now_on(a, b)
        # Refused although the copy that accepted it is still in Redis (under the old
        # generation): nothing could delete it while Redis hung.
        assert cached_key_entries(private_redis, tenant.api_key)


async def test_company_deactivated_while_redis_is_paused_is_refused_everywhere_after_resume(
    app, other_app, tenant, private_redis
):
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
        make_client(other_app, ADMIN_KEY) as admin,
    ):
        await key_cached(private_redis, [tenant.api_key], a, b)

        with private_redis.paused():
            deactivated, seconds = await timed(
                admin.patch(f"/api/v1/companies/{tenant.company_id}", json={"is_active": False})
            )
            assert deactivated.status_code == 200, deactivated.text
            assert deactivated.json()["is_active"] is False
            assert seconds < REQUEST_BOUND_SECONDS, f"deactivating took {seconds:.3f} s"

        await refused_from_now_on(a, b)
        assert cached_key_entries(private_redis, tenant.api_key), "the old copy is still there"


async def test_slot_booked_while_redis_is_paused_is_not_offered_anywhere_after_resume(
    app, other_app, tenant, salon, private_redis
):
    start = local(1, 10)
    body = check_body(salon, start)
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
    ):

        async def ask_both_twice() -> None:  # computed and stored, then read from the cache
            for _ in range(2):
                for client in (a, b):
                    checked = await client.post(CHECK, json=body)
                    assert checked.status_code == 200, checked.text
                    assert checked.json()["available"] is True
                    listed = await client.get(LISTING, params=anna_on_the_first(salon))
                    assert berlin(start) in offered_starts(listed)
                    appointments = await client.get(APPOINTMENTS, params=DAY_ONE)
                    assert appointments.status_code == 200, appointments.text
                    assert appointments.json()["total"] == 0

        def check_and_day_cached() -> bool:
            with private_redis.client() as redis_client:
                return all(
                    redis_client.keys(f"avail:{salon.company_id}:*:{kind}:*")
                    for kind in ("check", "day")
                ) and redis_client.keys(f"appts:{salon.company_id}:*")

        await until_cached(ask_both_twice, check_and_day_cached)

        with private_redis.paused():
            booked, seconds = await timed(
                a.post("/api/v1/appointments", json=booking(salon, start, staff=salon.anna_id))
            )
            assert booked.status_code == 201, booked.text
            assert seconds < REQUEST_BOUND_SECONDS, f"booking took {seconds:.3f} s"

        deadline = time.monotonic() + HONOURED_FOR_SECONDS
        attempt = 0
        while True:
            for number, client in enumerate((a, b)):
                checked = await client.post(CHECK, json=body)
                assert checked.status_code == 200, checked.text
                assert checked.json()["available"] is False, (
                    f"instance {number} offered the booked slot on attempt {attempt}"
                )
                listed = await client.get(LISTING, params=anna_on_the_first(salon))
                assert berlin(start) not in offered_starts(listed), (
                    f"instance {number} listed the booked start on attempt {attempt}"
                )
                appointments = await client.get(APPOINTMENTS, params=DAY_ONE)
                assert [item["id"] for item in appointments.json()["items"]] == [
                    booked.json()["id"]
                ], f"instance {number} listed the day without the booking on attempt {attempt}"
            attempt += 1
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)


async def test_instances_that_did_not_write_notice_a_pause_just_long_enough_to_lose_the_copy(
    app, other_app, db, tenant, private_redis
):
    """The instance that revoked the key lost its copy of the generation to a pause just
    longer than the copy's time budget, and died before it could repair it. The instances
    that remain never called Redis during the pause (their heartbeats were answered late,
    not refused): they must have noticed it themselves, and repair before serving a copy."""
    writer_cache = RedisCache(private_redis.url)  # never started: this writer never repairs
    try:
        async with (
            make_client(app, tenant.api_key) as a,
            make_client(other_app, tenant.api_key) as b,
        ):
            await key_cached(private_redis, [tenant.api_key], a, b)
            async with db() as session:
                revoked = await ApiKeyService(session, writer_cache).revoke(
                    tenant.company_id, tenant.key_id
                )
                assert revoked.revoked_at is not None
                await session.commit()
                with private_redis.paused():
                    started = time.monotonic()
                    await run_after_commit(session)  # the copy of the generation fails
                    assert time.monotonic() - started >= OP_TIMEOUT_SECONDS * 0.9

            await refused_from_now_on(a, b)
    finally:
        await writer_cache.close()


async def test_requests_stay_fast_and_readiness_names_redis_while_it_hangs(
    app, other_app, tenant, salon, private_redis
):
    # Twenty checks on the half hours of Tuesday, cached before Redis hangs.
    bodies = [check_body(salon, local(1, 9 + i // 2, 30 * (i % 2))) for i in range(20)]
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
    ):
        before = []
        for body in bodies:
            before.append((await a.post(CHECK, json=body)).json())
            assert (await b.post(CHECK, json=body)).json() == before[-1]
        assert (await a.get("/health/ready")).status_code == 200

        durations: list[float] = []
        with private_redis.paused():
            for number, body in enumerate(bodies):
                client = (a, b)[number % 2]
                checked, seconds = await timed(client.post(CHECK, json=body))
                durations.append(seconds)
                assert seconds < REQUEST_BOUND_SECONDS, f"a check took {seconds:.3f} s"
                assert checked.status_code == 200, checked.text
                assert checked.json() == before[number], "a different answer while Redis hangs"
                listed, seconds = await timed(client.get(SERVICES))
                durations.append(seconds)
                assert seconds < REQUEST_BOUND_SECONDS, f"a listing took {seconds:.3f} s"
                assert listed.status_code == 200, listed.text
                assert [s["id"] for s in listed.json()["items"]] == [salon.cut_id, salon.colour_id]
            ready = await a.get("/health/ready")

        assert_fast(durations, "requests while Redis is paused")
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"]["redis"]["ok"] is False
        assert ready.json()["checks"]["database"]["ok"] is True
        for client in (a, b):
            recovered = await wait_until_ready(client)
            assert recovered.status_code == 200, f"not ready after SIGCONT: {recovered.text}"
            assert recovered.json()["checks"]["redis"]["ok"] is True


async def test_killed_redis_costs_no_latency_and_a_revocation_meanwhile_holds_after_restart(
    app, other_app, tenant, private_redis
):
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
        make_client(app, ADMIN_KEY) as admin,
    ):
        issued = await admin.post(
            f"/api/v1/companies/{tenant.company_id}/api-keys", json={"name": "till"}
        )
        assert issued.status_code == 201, issued.text
        till_key, till_id = issued.json()["key"], issued.json()["id"]
        async with (
            make_client(app, till_key) as till_a,
            make_client(other_app, till_key) as till_b,
        ):
            await key_cached(private_redis, [tenant.api_key, till_key], a, b, till_a, till_b)

            private_redis.kill()

            durations = []
            for client in (a, b) * 5:
                served, seconds = await timed(client.get(SERVICES))
                durations.append(seconds)
                assert served.status_code == 200, served.text
            revoked, seconds = await timed(
                admin.delete(f"/api/v1/companies/{tenant.company_id}/api-keys/{till_id}")
            )
            durations.append(seconds)
            assert revoked.status_code == 200, revoked.text
            assert revoked.json()["revoked_at"] is not None
            for client in (till_a, till_b):
                refused, seconds = await timed(client.get(SERVICES))
                durations.append(seconds)
                assert refused.status_code == 401, refused.text
            assert_fast(durations, "requests while Redis is down")
            assert app.state.cache.copies_trusted() is False
            assert (await a.get("/health/ready")).status_code == 503

            private_redis.restart()

            await refused_from_now_on(till_a, till_b)
        for instance in (app, other_app):
            assert await wait_for(instance.state.cache.copies_trusted), (
                "copies not trusted again within 2 s of the restart"
            )
        # Back to the cache: the valid key is resolved once and stored in the new Redis.
        await key_cached(private_redis, [tenant.api_key], a, b)
        assert (await a.get("/health/ready")).status_code == 200


async def test_redis_restored_from_an_old_snapshot_serves_no_copy_from_before_a_revocation(
    app, other_app, db, tenant, private_redis
):
    """An operator restores Redis from a snapshot taken before a revocation made long ago:
    the snapshot holds the key's resolved copy under the generation of its day."""
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
        make_client(app, ADMIN_KEY) as admin,
    ):
        await key_cached(private_redis, [tenant.api_key], a, b)
        with private_redis.client() as redis_client:
            assert redis_client.save()

        revoked = await admin.delete(
            f"/api/v1/companies/{tenant.company_id}/api-keys/{tenant.key_id}"
        )
        assert revoked.status_code == 200, revoked.text
        for client in (a, b):
            assert (await client.get(SERVICES)).status_code == 401
        # The revocation happened an hour before the crash.
        async with db() as session:
            await session.execute(
                update(CacheGeneration)
                .where(CacheGeneration.name == "gen:auth")
                .values(updated_at=utcnow() - timedelta(hours=1))
            )
            await session.commit()

        private_redis.kill()
        private_redis.restart(empty=False)
        assert cached_key_entries(private_redis, tenant.api_key), "the snapshot was not loaded"

        # Instance b is asked at once (its request meets the broken connection itself);
        # instance a only after its watcher alone has had time to notice the restart.
        assert (await b.get(SERVICES)).status_code == 401
        await asyncio.sleep(0.3)
        await refused_from_now_on(a, b)
