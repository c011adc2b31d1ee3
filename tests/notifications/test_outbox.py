"""The outbox is written with the change, in its transaction: never after, never lost."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.notifications.models import NotificationDelivery
from app.scheduling.schemas import AppointmentCreate
from app.scheduling.service import SchedulingService
from app.tenancy.models import Staff
from tests.salon import NOW, booking, local

# Tuesday 8 December 2026, 10:00 in Berlin: all three reminders are still ahead.
START = local(8, 10)
STARTS_UTC = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


async def rows(db, **where) -> list[NotificationDelivery]:
    async with db() as session:
        stmt = select(NotificationDelivery).order_by(NotificationDelivery.id)
        for column, value in where.items():
            stmt = stmt.where(getattr(NotificationDelivery, column) == value)
        return list((await session.execute(stmt)).scalars().all())


async def book(client, salon, start=START, **kwargs):
    response = await client.post(
        "/api/v1/appointments", json=booking(salon, start, staff=salon.anna_id, **kwargs)
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestBooking:
    async def test_a_booking_writes_its_confirmation_and_reminders(self, company_client, salon, db):
        appointment = await book(company_client, salon)
        written = await rows(db, appointment_id=appointment["id"])
        by_event = {row.event_type: row for row in written}
        assert set(by_event) == {
            "booking_confirmed",
            "reminder_1week",
            "reminder_24h",
            "reminder_2h",
        }
        assert by_event["booking_confirmed"].next_attempt_at == NOW
        assert by_event["reminder_24h"].next_attempt_at == STARTS_UTC - timedelta(hours=24)
        assert by_event["reminder_2h"].next_attempt_at == STARTS_UTC - timedelta(hours=2)
        assert by_event["reminder_1week"].next_attempt_at == STARTS_UTC - timedelta(days=7)
        assert all(row.status == "pending" for row in written)
        assert by_event["booking_confirmed"].channel == "email"
        assert by_event["booking_confirmed"].payload["fallback_channel"] == "sms"

    async def test_reminders_already_past_are_not_written(self, company_client, salon, db):
        # Tomorrow 10:00: the one-week reminder would be in the past.
        appointment = await book(company_client, salon, local(1, 10))
        events = {row.event_type for row in await rows(db, appointment_id=appointment["id"])}
        assert events == {"booking_confirmed", "reminder_24h", "reminder_2h"}

    async def test_a_refused_booking_writes_nothing(self, company_client, salon, db):
        await book(company_client, salon)
        before = len(await rows(db))
        taken = await company_client.post(
            "/api/v1/appointments",
            json=booking(salon, START, staff=salon.anna_id, phone="+4915199999998"),
        )
        assert taken.status_code == 409
        assert len(await rows(db)) == before

    async def test_a_rolled_back_booking_leaves_no_row(self, app, db, salon):
        """The rows are part of the booking's transaction: gone with it."""
        async with db() as session:
            service = SchedulingService(
                session,
                salon.company_id,
                app.state.cache,
                app.state.settings.features,
                clock=lambda: NOW,
                listeners=app.state.appointment_listeners,
            )
            body = AppointmentCreate.model_validate(booking(salon, START, staff=salon.anna_id))
            await service.book(body)
            assert len((await session.execute(select(NotificationDelivery))).all()) == 4
            await session.rollback()
        assert await rows(db) == []

    async def test_a_disabled_event_writes_nothing(self, company_client, salon, db):
        await company_client.put(
            f"/api/v1/notifications/company/{salon.company_id}/reminder_2h",
            json={"channel": "sms", "is_enabled": False},
        )
        appointment = await book(company_client, salon)
        events = {row.event_type for row in await rows(db, appointment_id=appointment["id"])}
        assert "reminder_2h" not in events
        assert "reminder_24h" in events


class TestChanges:
    async def test_a_reschedule_confirms_and_moves_the_reminders(self, company_client, salon, db):
        appointment = await book(company_client, salon)
        moved = await company_client.post(
            f"/api/v1/appointments/{appointment['id']}/reschedule", json={"start": local(9, 15)}
        )
        assert moved.status_code == 200, moved.text
        written = await rows(db, appointment_id=appointment["id"])
        new_start = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)
        reminders = {r.event_type: r for r in written if r.event_type.startswith("reminder")}
        assert reminders["reminder_24h"].next_attempt_at == new_start - timedelta(hours=24)
        assert reminders["reminder_24h"].payload["appointment"]["starts_at"] == (
            new_start.isoformat()
        )
        assert len(reminders) == 3  # moved, not duplicated
        assert [r.event_type for r in written].count("reschedule_confirmed") == 1

    async def test_a_reminder_whose_new_time_has_passed_is_cancelled(
        self, company_client, salon, db
    ):
        appointment = await book(company_client, salon)
        await company_client.post(
            f"/api/v1/appointments/{appointment['id']}/reschedule", json={"start": local(1, 12)}
        )
        week = next(
            r
            for r in await rows(db, appointment_id=appointment["id"])
            if r.event_type == "reminder_1week"
        )
        assert week.status == "cancelled"

    async def test_a_cancellation_is_sent_and_cancels_the_reminders(
        self, company_client, salon, db
    ):
        appointment = await book(company_client, salon)
        cancelled = await company_client.post(f"/api/v1/appointments/{appointment['id']}/cancel")
        assert cancelled.status_code == 200
        written = await rows(db, appointment_id=appointment["id"])
        statuses = {r.event_type: r.status for r in written}
        assert statuses["cancellation"] == "pending"
        assert statuses["reminder_24h"] == statuses["reminder_2h"] == "cancelled"
        cancellation = next(r for r in written if r.event_type == "cancellation")
        assert cancellation.payload["fee"] == "0.00"

    @pytest.mark.parametrize(
        ("action", "event"), [("complete", "appointment_completed"), ("no-show", "no_show")]
    )
    async def test_complete_and_no_show_are_transitions_with_their_event(
        self, company_client, salon, db, action, event
    ):
        appointment = await book(company_client, salon)
        done = await company_client.post(f"/api/v1/appointments/{appointment['id']}/{action}")
        assert done.status_code == 200, done.text
        assert done.json()["status"] == ("completed" if action == "complete" else "no_show")
        written = await rows(db, appointment_id=appointment["id"])
        assert event in {r.event_type for r in written}
        assert all(r.status == "cancelled" for r in written if r.event_type.startswith("reminder"))
        again = await company_client.post(f"/api/v1/appointments/{appointment['id']}/{action}")
        assert again.status_code == 409
        assert again.json()["current_status"] == done.json()["status"]


class TestCallbackRequest:
    @pytest.fixture
    async def reachable_staff(self, db, salon):
        """Anna has an e-mail address; Ben has none (he cannot be told by e-mail)."""
        async with db() as session:
            anna = await session.get(Staff, salon.anna_id)
            anna.email = "anna@salon.example"
            await session.commit()

    async def test_a_new_request_tells_the_branch_staff_in_its_transaction(
        self, company_client, salon, db, reachable_staff
    ):
        response = await company_client.post(
            "/api/v1/callbacks", json={"phone": "+4915112345678", "reason": "Farbe"}
        )
        assert response.status_code == 201, response.text
        (told,) = await rows(db, callback_request_id=response.json()["id"])
        assert told.event_type == "callback_request_received"
        assert told.recipient == "anna@salon.example"
        assert told.status == "pending"

    async def test_a_merged_request_tells_nobody_again(
        self, company_client, salon, db, reachable_staff
    ):
        for reason in ("Farbe", "Noch eine Frage"):
            response = await company_client.post(
                "/api/v1/callbacks", json={"phone": "+4915112345678", "reason": reason}
            )
        assert response.json()["merged"] is True
        assert len(await rows(db, event_type="callback_request_received")) == 1
