"""Booking, listing, changing, rescheduling and cancelling appointments."""

from sqlalchemy import select

from app.scheduling.models import Appointment, AppointmentPhase
from app.tenancy.models import Customer
from tests.conftest import table_count
from tests.salon import booking, local


async def book(client, salon, start, **kwargs):
    return await client.post("/api/v1/appointments", json=booking(salon, start, **kwargs))


class TestBook:
    async def test_colour_booking_has_three_phases_in_local_time(self, company_client, salon, db):
        response = await book(company_client, salon, local(1, 10), service="colour")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["staff_id"] == salon.anna_id  # the only colourist
        assert body["starts_at"] == "2026-12-01T10:00:00+01:00"
        assert body["ends_at"] == "2026-12-01T11:30:00+01:00"
        assert [
            (p["phase_type"], p["staff_required"], p["starts_at"][11:16]) for p in body["phases"]
        ] == [
            ("initial", True, "10:00"),
            ("processing", False, "10:30"),
            ("final", True, "11:00"),
        ]
        async with db() as session:
            phases = (await session.execute(select(AppointmentPhase))).scalars().all()
        assert len(phases) == 3 and {p.staff_id for p in phases} == {salon.anna_id}

    async def test_inline_customer_is_created_once_and_reused_by_phone(
        self, company_client, salon, db
    ):
        first = await book(company_client, salon, local(1, 10), phone="0151 12345678")
        second = await book(company_client, salon, local(1, 11), phone="+49 151 12345678")
        assert first.status_code == second.status_code == 201
        assert first.json()["customer_id"] == second.json()["customer_id"]
        async with db() as session:
            phones = (await session.execute(select(Customer.phone))).scalars().all()
        assert phones == ["+4915112345678"]

    async def test_cut_without_phases(self, company_client, salon):
        response = await book(company_client, salon, local(1, 10))
        assert response.json()["phases"] == []

    async def test_taken_slot_is_409_with_alternatives_and_nothing_written(
        self, company_client, salon, db
    ):
        await book(company_client, salon, local(1, 10), staff=salon.anna_id)
        before = await table_count(db, "appointments")
        response = await book(
            company_client, salon, local(1, 10), staff=salon.anna_id, phone="+4915199999999"
        )
        assert response.status_code == 409
        problem = response.json()
        assert problem["type"].endswith("/slot-unavailable")
        assert problem["reason"] == "taken"
        assert len(problem["alternatives"]) == 2
        assert await table_count(db, "appointments") == before
        assert await table_count(db, "customers") == 1  # the second caller was not kept

    async def test_any_staff_booking_takes_the_free_member(self, company_client, salon):
        await book(company_client, salon, local(1, 10), staff=salon.anna_id)
        response = await book(company_client, salon, local(1, 10), phone="+4915199999999")
        assert response.status_code == 201
        assert response.json()["staff_id"] == salon.ben_id


class TestBadInput:
    async def test_each_bad_input_is_422_naming_the_field_and_writes_nothing(
        self, company_client, salon, db
    ):
        cases = [
            (booking(salon, "2026-11-01T10:00:00"), "body.start"),
            (booking(salon, local(1, 10, 7)), "body.start"),
            (booking(salon, local(1, 10), service="colour", staff=salon.ben_id), "body.staff_id"),
            (booking(salon, "not a date"), "body.start"),
            (
                {**booking(salon, local(1, 10)), "customer": {"name": "X", "phone": "123"}},
                "body.customer.phone",
            ),
            ({**booking(salon, local(1, 10)), "customer_id": 1}, "body"),
        ]
        for body, field in cases:
            response = await company_client.post("/api/v1/appointments", json=body)
            assert response.status_code == 422, (field, response.text)
            assert response.json()["errors"][0]["field"] == field
        assert await table_count(db, "appointments") == 0
        assert await table_count(db, "customers") == 0

    async def test_unknown_and_foreign_ids_are_404(self, company_client, other_client, salon):
        foreign = await other_client.post("/api/v1/appointments", json=booking(salon, local(1, 10)))
        assert foreign.status_code == 404
        unknown = await company_client.post(
            "/api/v1/appointments", json={**booking(salon, local(1, 10)), "service_id": 999999}
        )
        assert unknown.status_code == 404


class TestReadAndList:
    async def test_other_tenant_cannot_see_an_appointment(
        self, company_client, other_client, salon
    ):
        created = (await book(company_client, salon, local(1, 10))).json()
        assert (await other_client.get(f"/api/v1/appointments/{created['id']}")).status_code == 404
        assert (await other_client.get("/api/v1/appointments")).json()["total"] == 0

    async def test_filters_by_date_staff_and_status(self, company_client, salon):
        await book(company_client, salon, local(1, 10), staff=salon.anna_id)
        await book(company_client, salon, local(2, 10), staff=salon.ben_id, phone="+4915199999999")
        cancelled = (await book(company_client, salon, local(3, 10), phone="+4915188888888")).json()
        await company_client.post(f"/api/v1/appointments/{cancelled['id']}/cancel", json={})

        async def ids(**params):
            response = await company_client.get("/api/v1/appointments", params=params)
            assert response.status_code == 200
            return [item["starts_at"][8:10] for item in response.json()["items"]]

        assert await ids() == ["01", "02", "03"]
        assert await ids(date_from=local(2, 0), date_to=local(3, 0)) == ["02"]
        assert await ids(staff_id=salon.ben_id) == ["02"]
        assert await ids(status="cancelled") == ["03"]


class TestReschedule:
    async def test_phases_move_with_the_appointment(self, company_client, salon, db):
        created = (await book(company_client, salon, local(1, 10), service="colour")).json()
        response = await company_client.post(
            f"/api/v1/appointments/{created['id']}/reschedule", json={"start": local(2, 14)}
        )
        assert response.status_code == 200, response.text
        moved = response.json()
        assert moved["starts_at"] == "2026-12-02T14:00:00+01:00"
        assert [p["starts_at"][11:16] for p in moved["phases"]] == ["14:00", "14:30", "15:00"]
        assert moved["version"] == created["version"] + 1
        # The old time is free again.
        assert (
            await book(
                company_client, salon, local(1, 10), service="colour", phone="+4915199999999"
            )
        ).status_code == 201

    async def test_reschedule_into_own_time_overlap_is_allowed(self, company_client, salon):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        response = await company_client.post(
            f"/api/v1/appointments/{created['id']}/reschedule", json={"start": local(1, 10, 15)}
        )
        assert response.status_code == 200

    async def test_taken_target_is_409_with_alternatives_and_nothing_changes(
        self, company_client, salon
    ):
        first = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        await book(company_client, salon, local(1, 14), staff=salon.anna_id, phone="+4915199999999")
        response = await company_client.post(
            f"/api/v1/appointments/{first['id']}/reschedule", json={"start": local(1, 14)}
        )
        assert response.status_code == 409
        assert len(response.json()["alternatives"]) == 2
        unchanged = (await company_client.get(f"/api/v1/appointments/{first['id']}")).json()
        assert unchanged["starts_at"] == first["starts_at"]

    async def test_move_to_another_staff_member(self, company_client, salon):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        response = await company_client.post(
            f"/api/v1/appointments/{created['id']}/reschedule",
            json={"start": local(1, 11), "staff_id": salon.ben_id},
        )
        assert response.json()["staff_id"] == salon.ben_id


class TestCancel:
    async def test_cancel_frees_the_slot_and_cannot_be_repeated(self, company_client, salon):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        cancelled = await company_client.post(
            f"/api/v1/appointments/{created['id']}/cancel", json={"reason": "ill"}
        )
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        again = await company_client.post(f"/api/v1/appointments/{created['id']}/cancel", json={})
        assert again.status_code == 409
        rebook = await book(
            company_client, salon, local(1, 10), staff=salon.anna_id, phone="+4915199999999"
        )
        assert rebook.status_code == 201

    async def test_cancel_needs_no_body(self, company_client, salon):
        created = (await book(company_client, salon, local(1, 11), staff=salon.anna_id)).json()
        cancelled = await company_client.post(f"/api/v1/appointments/{created['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"


class TestChangeService:
    async def test_cut_to_colour_builds_phases(self, company_client, salon, db):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        response = await company_client.patch(
            f"/api/v1/appointments/{created['id']}", json={"service_id": salon.colour_id}
        )
        assert response.status_code == 200, response.text
        assert response.json()["ends_at"] == "2026-12-01T11:30:00+01:00"
        assert len(response.json()["phases"]) == 3

    async def test_colour_to_cut_removes_phases(self, company_client, salon, db):
        created = (await book(company_client, salon, local(1, 10), service="colour")).json()
        response = await company_client.patch(
            f"/api/v1/appointments/{created['id']}", json={"service_id": salon.cut_id}
        )
        assert response.json()["phases"] == []
        assert await table_count(db, "appointment_phases") == 0

    async def test_longer_service_that_no_longer_fits_is_409(self, company_client, salon, db):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        await book(company_client, salon, local(1, 11), staff=salon.anna_id, phone="+4915199999999")
        response = await company_client.patch(
            f"/api/v1/appointments/{created['id']}", json={"service_id": salon.colour_id}
        )
        assert response.status_code == 409
        async with db() as session:
            kept = await session.get(Appointment, created["id"])
        assert kept.service_id == salon.cut_id


class TestFinish:
    async def test_completed_is_final(self, company_client, salon):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        done = await company_client.post(f"/api/v1/appointments/{created['id']}/complete")
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
        for action in ("complete", "no-show", "cancel"):
            again = await company_client.post(f"/api/v1/appointments/{created['id']}/{action}")
            assert again.status_code == 409, (action, again.text)
            assert again.json()["current_status"] == "completed"

    async def test_no_show_is_recorded_and_final(self, company_client, salon):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        missed = await company_client.post(f"/api/v1/appointments/{created['id']}/no-show")
        assert missed.status_code == 200, missed.text
        assert missed.json()["status"] == "no_show"
        shown = await company_client.get(f"/api/v1/appointments/{created['id']}")
        assert shown.json()["status"] == "no_show"
        again = await company_client.post(f"/api/v1/appointments/{created['id']}/complete")
        assert again.status_code == 409
        assert again.json()["current_status"] == "no_show"

    async def test_another_companys_appointment_is_404_and_unchanged(
        self, company_client, other_client, salon
    ):
        created = (await book(company_client, salon, local(1, 10), staff=salon.anna_id)).json()
        for action in ("complete", "no-show"):
            foreign = await other_client.post(f"/api/v1/appointments/{created['id']}/{action}")
            assert foreign.status_code == 404, action
        shown = await company_client.get(f"/api/v1/appointments/{created['id']}")
        assert shown.json()["status"] == created["status"]
