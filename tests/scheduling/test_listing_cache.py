"""Repeated listings are served as stored JSON, and never from before a change: any write to
an appointment, a service or a branch's zone is listed on the very next request."""

from sqlalchemy import update

from app.scheduling.models import Appointment
from app.tenancy.models import Service
from tests.salon import booking, local

APPOINTMENTS = "/api/v1/appointments"
SERVICES = "/api/v1/services"
DAY_ONE = {"date_from": "2026-12-01T00:00:00", "date_to": "2026-12-02T00:00:00"}


async def _hidden_note(db, appointment_id: int) -> None:
    """A change the service cannot know of (made behind its back): only a recomputation
    shows it, so a listing without it came from the stored copy."""
    async with db() as session:
        await session.execute(
            update(Appointment).where(Appointment.id == appointment_id).values(notes="hidden")
        )
        await session.commit()


class TestAppointmentListing:
    async def test_a_repeated_listing_is_the_stored_copy_until_a_booking(
        self, db, company_client, salon
    ):
        first = await company_client.post(
            APPOINTMENTS, json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert first.status_code == 201, first.text
        listed = await company_client.get(APPOINTMENTS, params=DAY_ONE)
        assert listed.status_code == 200
        assert listed.headers["content-type"] == "application/json"
        await _hidden_note(db, first.json()["id"])
        again = await company_client.get(APPOINTMENTS, params=DAY_ONE)
        assert again.json() == listed.json()  # served from the copy

        second = await company_client.post(
            APPOINTMENTS, json=booking(salon, local(1, 11), staff=salon.anna_id)
        )
        assert second.status_code == 201
        after = (await company_client.get(APPOINTMENTS, params=DAY_ONE)).json()
        assert [item["id"] for item in after["items"]] == [first.json()["id"], second.json()["id"]]
        assert after["total"] == 2
        assert after["items"][0]["notes"] == "hidden"  # recomputed from the database

    async def test_the_copy_answers_exactly_as_the_first_computation(self, company_client, salon):
        await company_client.post(
            APPOINTMENTS, json=booking(salon, local(1, 10), service="colour", staff=salon.anna_id)
        )
        computed = await company_client.get(APPOINTMENTS, params=DAY_ONE)
        stored = await company_client.get(APPOINTMENTS, params=DAY_ONE)
        assert stored.content == computed.content
        item = computed.json()["items"][0]
        assert item["starts_at"] == "2026-12-01T10:00:00+01:00"
        assert [phase["phase_type"] for phase in item["phases"]] == [
            "initial",
            "processing",
            "final",
        ]

    async def test_a_cancel_is_listed_at_once(self, company_client, salon):
        booked = await company_client.post(
            APPOINTMENTS, json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        before = (await company_client.get(APPOINTMENTS, params=DAY_ONE)).json()
        assert before["items"][0]["status"] == "confirmed"
        cancelled = await company_client.post(
            f"{APPOINTMENTS}/{booked.json()['id']}/cancel", json={"force": True}
        )
        assert cancelled.status_code == 200, cancelled.text
        after = (await company_client.get(APPOINTMENTS, params=DAY_ONE)).json()
        assert after["items"][0]["status"] == "cancelled"

    async def test_a_branch_moving_zone_is_listed_in_its_new_offset(self, company_client, salon):
        await company_client.post(
            APPOINTMENTS, json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        params = {**DAY_ONE, "date_from": "2026-12-01T00:00:00+01:00"}
        params["date_to"] = "2026-12-02T00:00:00+01:00"
        before = (await company_client.get(APPOINTMENTS, params=params)).json()
        assert before["items"][0]["starts_at"] == "2026-12-01T10:00:00+01:00"
        moved = await company_client.patch(
            f"/api/v1/branches/{salon.branch_id}", json={"timezone": "Europe/London"}
        )
        assert moved.status_code == 200, moved.text
        after = (await company_client.get(APPOINTMENTS, params=params)).json()
        assert after["items"][0]["starts_at"] == "2026-12-01T09:00:00Z"

    async def test_another_companys_listing_is_its_own(self, company_client, other_client, salon):
        await company_client.post(
            APPOINTMENTS, json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        mine = (await company_client.get(APPOINTMENTS, params=DAY_ONE)).json()
        theirs = (await other_client.get(APPOINTMENTS, params=DAY_ONE)).json()
        assert mine["total"] == 1
        assert theirs == {"items": [], "total": 0, "limit": theirs["limit"], "offset": 0}


class TestServiceListing:
    async def test_a_new_service_is_listed_at_once(self, db, company_client, salon):
        before = (await company_client.get(SERVICES)).json()
        async with db() as session:  # hidden: the stored copy does not show it
            await session.execute(
                update(Service).where(Service.id == salon.cut_id).values(name="Hidden")
            )
            await session.commit()
        assert (await company_client.get(SERVICES)).json() == before
        created = await company_client.post(
            SERVICES, json={"name": "Beard trim", "duration_minutes": 15}
        )
        assert created.status_code == 201, created.text
        after = (await company_client.get(SERVICES)).json()
        assert after["total"] == before["total"] + 1
        names = [item["name"] for item in after["items"]]
        assert "Beard trim" in names and "Hidden" in names

    async def test_a_deactivated_service_is_listed_inactive_at_once(self, company_client, salon):
        active = {"is_active": "true"}
        before = (await company_client.get(SERVICES, params=active)).json()
        assert salon.cut_id in [item["id"] for item in before["items"]]
        gone = await company_client.delete(f"{SERVICES}/{salon.cut_id}")
        assert gone.status_code == 204, gone.text
        after = (await company_client.get(SERVICES, params=active)).json()
        assert salon.cut_id not in [item["id"] for item in after["items"]]
        assert after["total"] == before["total"] - 1
