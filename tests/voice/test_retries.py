"""Retell retries a function that timed out. A retried booking is the same booking: the
same answer, `success: true`, nothing created twice, also when the retries race."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from app.scheduling.models import Appointment
from app.voice.models import CallInvocation
from tests.conftest import table_count

BOOK = {"service": "Cut", "date": "2026-12-01", "time": "10:00", "customer_name": "Erika"}


async def invocations(db) -> list[CallInvocation]:
    async with db() as session:
        rows = await session.scalars(select(CallInvocation).order_by(CallInvocation.id))
        return list(rows.all())


class TestRetriedBooking:
    async def test_the_same_args_again_answer_the_same_appointment(self, agent, db):
        first = await agent("book_appointment", **BOOK)
        again = await agent("book_appointment", **BOOK)
        assert first.success and again.success
        assert again.data["appointment_id"] == first.data["appointment_id"]
        assert again.message == first.message
        assert again.data["replayed"] is True
        assert await table_count(db, "appointments") == 1
        assert [i.function for i in await invocations(db)] == ["book_appointment"] * 2

    async def test_argument_spelling_does_not_matter(self, agent, db):
        first = await agent("book_appointment", **BOOK)
        again = await agent(
            "book_appointment", **{**BOOK, "service": " cut ", "customer_name": "ERIKA"}
        )
        assert again.data["appointment_id"] == first.data["appointment_id"]
        assert await table_count(db, "appointments") == 1

    async def test_the_slot_held_by_this_calls_booking_is_that_booking_not_taken(self, agent, db):
        """Said differently the second time ("10 Uhr" for "10:00"): another key, but the
        slot is held by the appointment this call made, so that is the answer."""
        first = await agent("book_appointment", **BOOK)
        staff = first.data["staff_name"]
        # Both stylists busy at 10 from now on: a new booking there would be "taken".
        other = "Ben" if staff == "Anna" else "Anna"
        blocker = await agent.on_another_call(from_number="+4917012345699")(
            "book_appointment", **{**BOOK, "staff": other, "customer_name": "Olga"}
        )
        assert blocker.success
        again = await agent("book_appointment", **{**BOOK, "time": "10 Uhr"})
        assert again.success, again
        assert again.data["appointment_id"] == first.data["appointment_id"]
        assert await table_count(db, "appointments") == 2

    async def test_the_same_booking_on_another_call_is_not_a_retry(self, agent, db):
        await agent("book_appointment", **{**BOOK, "staff": "Anna"})
        elsewhere = await agent.on_another_call()("book_appointment", **{**BOOK, "staff": "Anna"})
        assert not elsewhere.success
        assert elsewhere.data["alternatives"]
        assert await table_count(db, "appointments") == 1

    async def test_a_refusal_is_not_replayed(self, agent, db, company_client, phone_line):
        from tests.salon import booking, local

        taken = await company_client.post(
            "/api/v1/appointments",
            json=booking(
                phone_line, local(1, 10), staff=phone_line.anna_id, phone="+4917012345699"
            ),
        )
        refused = await agent("book_appointment", **{**BOOK, "staff": "Anna"})
        assert not refused.success
        await company_client.post(f"/api/v1/appointments/{taken.json()['id']}/cancel")
        retried = await agent("book_appointment", **{**BOOK, "staff": "Anna"})
        assert retried.success, retried
        assert "replayed" not in retried.data

    async def test_two_concurrent_retries_book_once_and_both_say_booked(
        self, retell_agent, db, app
    ):
        """The agent's retry arrives while the first attempt is still being processed."""
        # Warm the pool (and make the call's row, as call_started would): the two then race.
        await asyncio.gather(*(retell_agent("list_services") for _ in range(2)))
        first, second = await asyncio.gather(
            retell_agent("book_appointment", **BOOK), retell_agent("book_appointment", **BOOK)
        )
        assert first.success and second.success, (first, second)
        assert first.data["appointment_id"] == second.data["appointment_id"]
        assert sorted(bool(r.data.get("replayed")) for r in (first, second)) == [False, True]
        async with db() as session:
            booked = (await session.scalars(select(Appointment))).all()
        assert len(booked) == 1
        assert [i.function for i in await invocations(db)][-2:] == ["book_appointment"] * 2
