"""Availability for a Cal.com-linked service: intersected with Cal.com, local when it fails."""

import time
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.calcom.errors import CalcomUnavailableError
from app.main import create_app as create_service
from tests.calcom_link import link_calcom as linked_to_calcom
from tests.conftest import STARTUP_SECONDS, make_client
from tests.salon import NOW
from tools.fake_calcom import FakeCalcom, create_app

EVENT_TYPE = 4242


@pytest.fixture
def fake() -> FakeCalcom:
    return FakeCalcom()


async def link_calcom(app, db, salon_, fake, read_timeout=3.0):
    breaker, _ = await linked_to_calcom(
        app, db, salon_.cut_id, fake, EVENT_TYPE, read_timeout=read_timeout
    )
    return breaker


def body(salon_, start, staff=True):
    return {
        "branch_id": salon_.branch_id,
        "service_id": salon_.cut_id,
        "staff_id": salon_.anna_id if staff else None,
        "start": start,
    }


async def check(client, payload):
    response = await client.post("/api/v1/availability/check", json=payload)
    assert response.status_code == 200, response.text
    return response.json()


class TestIntersection:
    async def test_free_in_both_is_available_from_calcom(
        self, app, db, salon, fake, company_client
    ):
        await link_calcom(app, db, salon, fake)
        result = await check(company_client, body(salon, "2026-12-01T10:00:00"))
        assert (result["available"], result["source"]) == (True, "calcom")
        assert fake.requests[0].query["eventTypeId"] == str(EVENT_TYPE)

    async def test_busy_in_calcom_is_not_offered(self, app, db, salon, fake, company_client):
        await link_calcom(app, db, salon, fake)
        fake.busy |= {
            datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        }
        result = await check(company_client, body(salon, "2026-12-01T10:00:00"))
        assert result["available"] is False and result["reason"] == "taken"
        assert [a["start"] for a in result["alternatives"]] == [
            "2026-12-01T10:15:00+01:00",
            "2026-12-01T09:45:00+01:00",
        ]

    async def test_slots_are_cached_per_day(self, app, db, salon, fake, company_client):
        await link_calcom(app, db, salon, fake)
        await check(company_client, body(salon, "2026-12-01T10:00:00"))
        await check(company_client, body(salon, "2026-12-01T11:00:00"))
        assert len(fake.requests) == 1

    async def test_day_listing_is_intersected(self, app, db, salon, fake, company_client):
        await link_calcom(app, db, salon, fake)
        fake.busy.add(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        response = await company_client.get(
            "/api/v1/availability",
            params={
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "staff_id": salon.anna_id,
                "date_from": "2026-12-01",
            },
        )
        listing = response.json()
        assert listing["source"] == "calcom"
        starts = [slot["start"][11:16] for slot in listing["days"][0]["slots"]]
        assert "10:00" not in starts and "10:15" in starts


class TestFaults:
    async def test_hanging_calcom_gives_the_local_view_within_3_5_s(
        self, app, db, salon, fake, company_client
    ):
        await link_calcom(app, db, salon, fake)  # the real 3 s read budget
        fake.hang = True
        started = time.perf_counter()
        result = await check(company_client, body(salon, "2026-12-01T10:00:00"))
        elapsed = time.perf_counter() - started
        assert elapsed < 3.5
        assert (result["available"], result["source"]) == (True, "local")

    async def test_local_fallback_is_not_cached(self, app, db, salon, fake, company_client):
        await link_calcom(app, db, salon, fake, read_timeout=0.2)
        fake.fail_statuses = [503, 503, 503]
        assert (await check(company_client, body(salon, "2026-12-01T10:00:00")))[
            "source"
        ] == "local"
        assert (await check(company_client, body(salon, "2026-12-01T10:00:00")))[
            "source"
        ] == "calcom"

    async def test_open_breaker_answers_without_calling_calcom(
        self, app, db, salon, fake, company_client
    ):
        # How fast it answers is make bench's row "check, breaker open" (p95 < 50 ms there);
        # a timer here measured the test machine's load (and its collector's pauses).
        breaker = await link_calcom(app, db, salon, fake, read_timeout=0.2)
        for _ in range(5):
            await breaker.record_failure()
        calls = len(fake.requests)
        result = await check(company_client, body(salon, "2026-12-01T10:00:00"))
        assert result["source"] == "local"
        assert len(fake.requests) == calls

    async def test_calcom_errors_never_reach_the_caller_as_5xx(
        self, app, db, salon, fake, company_client
    ):
        await link_calcom(app, db, salon, fake, read_timeout=0.2)
        for status in (500, 502, 400, 404, 429):
            fake.fail_statuses = [status] * 3
            response = await company_client.post(
                "/api/v1/availability/check", json=body(salon, "2026-12-02T10:00:00")
            )
            assert response.status_code == 200


async def test_redis_down_keeps_the_service_up(settings, db, tenant, salon, fake):
    """Cache and breaker fall back to process memory: checks still answer, the breaker still
    protects, and readiness reports Redis as down."""
    redis_down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:6390/0"})
    service = create_service(redis_down)
    async with LifespanManager(service, startup_timeout=STARTUP_SECONDS):
        service.state.now = lambda: NOW
        breaker = await link_calcom(service, db, salon, fake, read_timeout=0.2)
        async with make_client(service, tenant.api_key) as client:
            result = await check(client, body(salon, "2026-12-01T10:00:00"))
            assert (result["available"], result["source"]) == (True, "calcom")
            for _ in range(5):
                await breaker.record_failure()
            calls = len(fake.requests)
            # Another day: the first day's Cal.com slots are still cached (in process memory).
            assert (await check(client, body(salon, "2026-12-02T11:00:00")))["source"] == "local"
            assert len(fake.requests) == calls
            assert (await client.get("/health/ready")).status_code == 503


async def test_readiness_and_metrics_show_the_breaker(app, db, salon, fake, client):
    ready = (await client.get("/health/ready")).json()
    assert ready["upstreams"]["calcom"] == {"configured": False}
    breaker = await link_calcom(app, db, salon, fake, read_timeout=0.2)
    for _ in range(5):
        await breaker.record_failure()
    ready = await client.get("/health/ready")
    assert ready.status_code == 200  # Cal.com down does not make this service unready
    assert ready.json()["upstreams"]["calcom"] == {"configured": True, "breaker": "open"}


async def test_metrics_show_calcom_outcomes_latency_and_breaker_state(app, settings, client):
    from app.calcom.dependencies import create_calcom_client

    fake = FakeCalcom(fail_statuses=[503] * 15)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(fake)))
    configured = settings.model_copy(
        update={"calcom_api_key": "cal_key", "calcom_base_url": "http://calcom.test/v2"}
    )
    calcom = create_calcom_client(configured, http, app.state.cache, app.state.metrics)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for _ in range(5):
        with pytest.raises(CalcomUnavailableError):
            await calcom.get_slots(1, start, start.replace(hour=23))
    text = (await client.get("/metrics")).text
    assert (
        'upstream_calls_total{operation="get_slots",outcome="unavailable",upstream="calcom"} 5.0'
        in text
    )
    assert (
        'upstream_call_duration_seconds_count{operation="get_slots",upstream="calcom"} 5.0' in text
    )
    assert 'circuit_breaker_open{upstream="calcom"} 1.0' in text
    await http.aclose()
