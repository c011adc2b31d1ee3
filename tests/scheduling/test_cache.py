"""A booked slot is never offered from the cache afterwards (DESIGN §5.2)."""

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import delete

from app.main import create_app
from app.tenancy.models import WorkingHours
from tests.conftest import REDIS_URL, STARTUP_SECONDS, make_client
from tests.factories import make_service, make_staff
from tests.salon import NOW, anna_on_the_first, booking, local

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

    async def test_kept_calendars_never_offer_a_slot_booked_since(self, app, company_client, salon):
        """A check's alternatives are computed from calendars the process keeps per
        generation; a booking makes them stale like the answers."""
        taken = await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert taken.status_code == 201
        first = (await company_client.post(CHECK, json=check_body(salon, local(1, 10)))).json()
        offered = first["alternatives"][0]["start"]
        assert len(app.state.cache.computed) > 0  # calendars kept for the next check
        booked = await company_client.post(
            "/api/v1/appointments",
            json=booking(salon, offered, staff=first["alternatives"][0]["staff_id"]),
        )
        assert booked.status_code == 201, booked.text
        # Another start of the same day: a new answer, from the same day's calendars.
        again = (await company_client.post(CHECK, json=check_body(salon, local(1, 10, 15)))).json()
        assert again["available"] is False
        assert offered not in [alt["start"] for alt in again["alternatives"]]

    async def test_a_kept_resolution_never_outlives_a_staff_change(self, company_client, salon):
        """The branch, service and qualified staff a check resolves are kept per generation
        too: a stylist let go is refused on the next check, even of another start."""
        first = await company_client.post(CHECK, json=check_body(salon, local(1, 10)))
        assert first.json()["available"] is True
        gone = await company_client.delete(f"/api/v1/staff/{salon.anna_id}")
        assert gone.status_code == 204, gone.text
        again = await company_client.post(CHECK, json=check_body(salon, local(1, 11)))
        assert again.status_code == 422, again.text
        assert "staff_id" in again.text

    async def test_a_refused_check_leaves_the_kept_resolution_usable(self, company_client, salon):
        """A check refused after the resolution was read (its transaction rolled back) must
        not spoil the kept resolution for the next check of the same service."""
        colour_with_ben = check_body(salon, local(1, 10)) | {
            "service_id": salon.colour_id,
            "staff_id": salon.ben_id,  # cuts only
        }
        refused = await company_client.post(CHECK, json=colour_with_ben)
        assert refused.status_code == 422, refused.text
        colour_with_anna = colour_with_ben | {"staff_id": salon.anna_id}
        answered = await company_client.post(CHECK, json=colour_with_anna)
        assert answered.status_code == 200, answered.text
        assert answered.json()["available"] is True

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
        params = anna_on_the_first(salon)
        before = (await company_client.get("/api/v1/availability", params=params)).json()
        await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        after = (await company_client.get("/api/v1/availability", params=params)).json()
        assert len(after["days"][0]["slots"]) == len(before["days"][0]["slots"]) - 3

    async def test_one_tenants_booking_leaves_the_others_cache_alone(
        self, app, db, company_client, other_client, other_tenant, salon
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
        # The calendars the process kept are from before the hidden change too (as the
        # answers are): dropped, so that the recomputation reads it.
        app.state.cache.computed.clear()
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


async def _time_off_at_ten(client, salon):
    return await client.post(
        f"/api/v1/staff/{salon.anna_id}/time-off",
        json={"starts_at": local(1, 9), "ends_at": local(1, 12), "reason": "Dentist"},
    )


async def _no_working_hours(client, salon):
    return await client.put(
        f"/api/v1/staff/{salon.anna_id}/working-hours", json={"working_hours": []}
    )


async def _staff_off_the_service(client, salon):
    return await client.patch(
        f"/api/v1/staff/{salon.anna_id}", json={"service_ids": [salon.colour_id]}
    )


async def _branch_elsewhere(client, salon):
    # Ten o'clock in New York is four in the afternoon in Berlin: another instant.
    return await client.patch(
        f"/api/v1/branches/{salon.branch_id}", json={"timezone": "America/New_York"}
    )


async def _notice_of_a_month(client, salon):
    return await client.patch("/api/v1/company", json={"settings": {"min_notice_minutes": 43200}})


class TestSalonChangesReachCachedAnswers:
    """What the salon changes about its staff, hours, branches or rules is answered on the
    very next check: a cached answer computed before the change is never served after it."""

    @pytest.mark.parametrize(
        "change",
        [
            _time_off_at_ten,
            _no_working_hours,
            _staff_off_the_service,
            _branch_elsewhere,
            _notice_of_a_month,
        ],
    )
    async def test_the_next_check_sees_the_change(self, company_client, salon, change):
        body = check_body(salon, local(1, 10))
        before = await company_client.post(CHECK, json=body)
        assert before.json()["available"] is True
        assert (await company_client.post(CHECK, json=body)).json() == before.json()  # cached

        changed = await change(company_client, salon)
        assert changed.status_code in (200, 201), changed.text

        after = await company_client.post(CHECK, json=body)
        assert after.status_code in (200, 422), after.text
        assert after.status_code == 422 or after.json() != before.json()

    async def test_the_day_listing_sees_time_off(self, company_client, salon):
        params = anna_on_the_first(salon)
        before = (await company_client.get("/api/v1/availability", params=params)).json()
        assert (await _time_off_at_ten(company_client, salon)).status_code == 201
        after = (await company_client.get("/api/v1/availability", params=params)).json()
        starts = [slot["start"] for slot in after["days"][0]["slots"]]
        assert len(starts) < len(before["days"][0]["slots"])
        assert not any("T09:" in start or "T10:" in start or "T11:" in start for start in starts)


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
