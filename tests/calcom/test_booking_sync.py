"""Booking a Cal.com-linked service: pending -> Cal.com -> confirmed, or released (DESIGN §5.3)."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.scheduling.models import Appointment
from tests.calcom_link import link_calcom
from tests.conftest import table_count
from tests.salon import booking, local

EVENT_TYPE = 4242
TEN_UTC = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.fixture(autouse=True)
async def linked(app, db, salon, fake):
    _, http = await link_calcom(
        app, db, salon.cut_id, fake, EVENT_TYPE, read_timeout=0.3, write_timeout=0.3
    )
    yield
    await http.aclose()


async def stored(db) -> list[Appointment]:
    async with db() as session:
        return list((await session.execute(select(Appointment).order_by(Appointment.id))).scalars())


async def book(client, salon, start=None, **kwargs):
    body = booking(salon, start or local(1, 10), staff=salon.anna_id, **kwargs)
    return await client.post("/api/v1/appointments", json=body)


class TestCreate:
    async def test_confirmed_with_the_calcom_uid(self, company_client, salon, fake, db):
        response = await book(company_client, salon)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "confirmed"
        assert body["calcom_booking_uid"] in fake.bookings
        sent = fake.requests[-1].body
        assert sent["start"] == "2026-12-01T09:00:00Z"
        assert sent["metadata"] == {"appointment_id": str(body["id"])}
        assert sent["attendee"]["phoneNumber"] == "+4915112345678"

    async def test_slot_taken_in_calcom_is_409_with_alternatives_and_releases_the_hold(
        self, company_client, salon, fake, db
    ):
        fake.busy.add(TEN_UTC)
        response = await book(company_client, salon)
        assert response.status_code == 409
        assert response.json()["type"].endswith("/slot-unavailable")
        assert len(response.json()["alternatives"]) == 2
        (released,) = await stored(db)
        assert released.status == "cancelled"

    async def test_calcom_down_is_503_with_a_callback_offer_and_nothing_booked(
        self, company_client, salon, fake, db
    ):
        fake.fail_statuses = [503]
        response = await book(company_client, salon)
        assert response.status_code == 503
        assert response.json()["callback_offered"] is True
        assert [a.status for a in await stored(db)] == ["cancelled"]
        assert fake.bookings == {}
        retry = await book(company_client, salon)  # Cal.com is back: the slot was released
        assert retry.status_code == 201

    async def test_calcom_hanging_is_cut_at_the_write_deadline(
        self, company_client, salon, fake, db
    ):
        fake.hang = True
        response = await book(company_client, salon)
        assert response.status_code == 503
        assert [a.status for a in await stored(db)] == ["cancelled"]

    async def test_pending_booking_holds_the_slot_while_calcom_answers(
        self, company_client, salon, fake
    ):
        fake.latency = 0.2
        first = asyncio.create_task(book(company_client, salon))
        await asyncio.sleep(0.1)
        second = await book(company_client, salon, phone="+4915199999999")
        assert second.status_code == 409
        assert (await first).status_code == 201

    async def test_idempotent_retry_makes_one_calcom_booking(self, company_client, salon, fake):
        headers = {"Idempotency-Key": "call-7-book"}
        body = booking(salon, local(1, 10), staff=salon.anna_id)
        first = await company_client.post("/api/v1/appointments", json=body, headers=headers)
        again = await company_client.post("/api/v1/appointments", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["calcom_booking_uid"] == first.json()["calcom_booking_uid"]
        assert len(fake.bookings) == 1

    async def test_service_without_event_type_never_calls_calcom(self, company_client, salon, fake):
        response = await book(company_client, salon, service="colour")
        assert response.status_code == 201 and response.json()["calcom_booking_uid"] is None
        assert fake.requests == []


class TestChanges:
    async def test_cancel_is_pushed(self, company_client, salon, fake):
        created = (await book(company_client, salon)).json()
        response = await company_client.post(
            f"/api/v1/appointments/{created['id']}/cancel", json={}
        )
        assert response.status_code == 200
        assert fake.bookings[created["calcom_booking_uid"]]["status"] == "cancelled"

    async def test_cancel_while_calcom_is_down_changes_nothing(
        self, company_client, salon, fake, db
    ):
        created = (await book(company_client, salon)).json()
        fake.fail_statuses = [503]
        response = await company_client.post(
            f"/api/v1/appointments/{created['id']}/cancel", json={}
        )
        assert response.status_code == 503
        assert [a.status for a in await stored(db)] == ["confirmed"]
        assert await table_count(db, "appointment_modifications") == 0

    async def test_reschedule_takes_calcoms_new_uid(self, company_client, salon, fake):
        created = (await book(company_client, salon)).json()
        response = await company_client.post(
            f"/api/v1/appointments/{created['id']}/reschedule", json={"start": local(1, 14)}
        )
        assert response.status_code == 200, response.text
        new_uid = response.json()["calcom_booking_uid"]
        assert new_uid != created["calcom_booking_uid"]
        assert fake.bookings[new_uid]["status"] == "accepted"
        assert fake.bookings[created["calcom_booking_uid"]]["status"] == "cancelled"

    async def test_reschedule_into_a_calcom_busy_time_is_409_and_changes_nothing(
        self, company_client, salon, fake
    ):
        created = (await book(company_client, salon)).json()
        fake.busy.add(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
        response = await company_client.post(
            f"/api/v1/appointments/{created['id']}/reschedule", json={"start": local(1, 14)}
        )
        assert response.status_code == 409
        kept = (await company_client.get(f"/api/v1/appointments/{created['id']}")).json()
        assert kept["starts_at"] == created["starts_at"]
        assert kept["calcom_booking_uid"] == created["calcom_booking_uid"]
