"""A booked slot is never offered from the cache afterwards (DESIGN §5.2)."""

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import delete

from app.main import create_app
from app.tenancy.models import WorkingHours
from tests.conftest import REDIS_URL, STARTUP_SECONDS, make_client
from tests.factories import make_service, make_staff
from tests.salon import NOW, booking, local

CHECK = "/api/v1/availability/check"


def check_body(salon, start):
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": salon.anna_id,
        "start": start,
    }


class TestCacheInvalidation:
    async def test_cached_answer_is_reused_until_a_booking_changes_it(
        self, app, company_client, salon
    ):
        body = check_body(salon, local(1, 10))
        first = await company_client.post("/api/v1/availability/check", json=body)
        assert first.json()["available"] is True
        # Prove the second answer comes from the cache: a hidden change is not seen...
        app.state.now = lambda: NOW.replace(year=2030)
        cached = await company_client.post("/api/v1/availability/check", json=body)
        assert cached.json() == first.json()
        app.state.now = lambda: NOW
        # ...but a booking through the API invalidates at once.
        booked = await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert booked.status_code == 201
        after = await company_client.post("/api/v1/availability/check", json=body)
        assert after.json()["available"] is False

    async def test_cancellation_makes_the_slot_available_again(self, company_client, salon):
        body = check_body(salon, local(1, 10))
        created = (
            await company_client.post(
                "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
            )
        ).json()
        assert (await company_client.post("/api/v1/availability/check", json=body)).json()[
            "available"
        ] is False
        await company_client.post(f"/api/v1/appointments/{created['id']}/cancel", json={})
        assert (await company_client.post("/api/v1/availability/check", json=body)).json()[
            "available"
        ] is True

    async def test_day_listing_is_invalidated_too(self, company_client, salon):
        params = {
            "branch_id": salon.branch_id,
            "service_id": salon.cut_id,
            "staff_id": salon.anna_id,
            "date_from": "2026-12-01",
        }
        before = (await company_client.get("/api/v1/availability", params=params)).json()
        await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        after = (await company_client.get("/api/v1/availability", params=params)).json()
        assert len(after["days"][0]["slots"]) == len(before["days"][0]["slots"]) - 3

    async def test_one_tenants_booking_leaves_the_others_cache_alone(
        self, db, company_client, other_client, other_tenant, salon
    ):
        cut = await make_service(db, other_tenant.company_id, name="Cut")
        stylist = await make_staff(
            db, other_tenant.company_id, other_tenant.branch_id, services=[cut], name="Clara"
        )
        mine = check_body(salon, local(1, 10))
        theirs = {
            "branch_id": other_tenant.branch_id,
            "service_id": cut.id,
            "staff_id": stylist.id,
            "start": local(1, 10),
        }
        assert (await company_client.post(CHECK, json=mine)).json()["available"] is True
        warmed = await other_client.post(CHECK, json=theirs)
        assert warmed.json()["available"] is True
        # A hidden change in the other salon: its stylist no longer works at all. Only a
        # recomputation sees it (a request under another cache key shows that it would).
        async with db() as session:
            await session.execute(delete(WorkingHours).where(WorkingHours.staff_id == stylist.id))
            await session.commit()
        recomputed = await other_client.post(CHECK, json={**theirs, "max_alternatives": 1})
        assert recomputed.json()["available"] is False

        booked = await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert booked.status_code == 201
        # The booking company's answer is recomputed...
        assert (await company_client.post(CHECK, json=mine)).json()["available"] is False
        # ...the other company's still comes from its cache, from before the hidden change.
        assert (await other_client.post(CHECK, json=theirs)).json() == warmed.json()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set: instances cannot share a cache")
async def test_booking_on_one_instance_invalidates_the_other(app, settings, tenant, salon):
    other_instance = create_app(settings)
    other_instance.state.now = app.state.now
    other_instance.state.settings = app.state.settings
    async with (
        LifespanManager(other_instance, startup_timeout=STARTUP_SECONDS),
        make_client(app, tenant.api_key) as a,
        make_client(other_instance, tenant.api_key) as b,
    ):
        body = check_body(salon, local(1, 10))
        assert (await a.post("/api/v1/availability/check", json=body)).json()["available"]
        booked = await b.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert booked.status_code == 201
        assert (await a.post("/api/v1/availability/check", json=body)).json()["available"] is False
