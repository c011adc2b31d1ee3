"""The caller waits on the line while Cal.com is slow, failing or cut off by the breaker:
every answer is still a sentence, `success` is true only for what is committed (and
confirmed in Cal.com), and nothing is left half-booked."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from app.scheduling.models import Appointment
from tests.calcom_link import link_calcom
from tools.fake_calcom import FakeCalcom

EVENT_TYPE = 4343
BOOK = {"service": "Cut", "date": "2026-12-01", "time": "10:00", "customer_name": "Erika"}


@pytest.fixture
def fake() -> FakeCalcom:
    return FakeCalcom()


@pytest.fixture
async def breaker(app, db, phone_line, fake):
    """The cut is a Cal.com event type; reads give up after 0.3 s, writes after 0.5 s."""
    breaker, http = await link_calcom(
        app, db, phone_line.cut_id, fake, EVENT_TYPE, read_timeout=0.3, write_timeout=0.5
    )
    yield breaker
    await http.aclose()


async def statuses(db) -> list[str]:
    async with db() as session:
        rows = await session.scalars(select(Appointment.status).order_by(Appointment.id))
        return [str(status) for status in rows]


class TestBooking:
    async def test_slow_calcom_books_and_confirms(self, agent, fake, breaker, db):
        fake.latency = 0.2
        reply = await agent("book_appointment", **BOOK)
        assert reply.success, reply
        assert reply.data["status"] == "confirmed"
        assert len(fake.bookings) == 1
        assert await statuses(db) == ["confirmed"]

    async def test_failing_calcom_offers_a_callback_and_books_nothing(
        self, agent, fake, breaker, db
    ):
        fake.fail_statuses = [503]
        reply = await agent("book_appointment", **BOOK)
        assert not reply.success
        assert reply.data["callback_offered"] is True
        assert reply.data["booked"] is False
        assert fake.bookings == {}
        assert await statuses(db) == ["cancelled"]  # the hold was released
        again = await agent("book_appointment", **BOOK)  # Cal.com is back: the slot is free
        assert again.success and "replayed" not in again.data

    async def test_hanging_calcom_is_answered_at_the_write_deadline(self, agent, fake, breaker, db):
        fake.hang = True
        started = time.perf_counter()
        reply = await agent("book_appointment", **BOOK)
        assert time.perf_counter() - started < 3.5
        assert not reply.success and reply.data["callback_offered"] is True
        assert await statuses(db) == ["cancelled"]

    async def test_slot_lost_in_calcom_offers_alternatives(self, agent, fake, breaker, db):
        from datetime import UTC, datetime

        fake.busy.add(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        reply = await agent("book_appointment", **{**BOOK, "staff": "Anna"})
        assert not reply.success
        assert reply.data["alternatives"]
        assert fake.bookings == {}

    async def test_open_breaker_answers_at_once_and_books_nothing(self, agent, fake, breaker, db):
        for _ in range(5):
            await breaker.record_failure()
        calls = len(fake.requests)
        reply = await agent("book_appointment", **BOOK)
        assert not reply.success and reply.data["callback_offered"] is True
        assert len(fake.requests) == calls
        assert "cancelled" in await statuses(db) or await statuses(db) == []
        assert "confirmed" not in await statuses(db)

    async def test_a_retry_during_the_calcom_write_waits_for_the_first_answer(
        self, retell_agent, fake, breaker, db
    ):
        """The hold is committed before the slow Cal.com call; Retell's retry arrives
        meanwhile, finds the change in progress, waits, and answers the same booking."""
        await retell_agent("list_services")  # the call's row exists, the pool is warm
        fake.latency = 0.4
        first = asyncio.create_task(retell_agent("book_appointment", **BOOK))
        await asyncio.sleep(0.15)
        second = await retell_agent("book_appointment", **BOOK)
        first = await first
        assert first.success and second.success, (first, second)
        assert second.data["appointment_id"] == first.data["appointment_id"]
        assert second.data["replayed"] is True
        assert len(fake.bookings) == 1
        assert await statuses(db) == ["confirmed"]


class TestChecking:
    async def test_slow_calcom_still_answers_from_calcom(self, agent, fake, breaker):
        fake.latency = 0.1
        reply = await agent(
            "check_availability", **{k: BOOK[k] for k in ("service", "date", "time")}
        )
        assert reply.success and reply.data["source"] == "calcom"

    @pytest.mark.parametrize("fault", ["failing", "hanging", "breaker-open"])
    async def test_without_calcom_the_local_view_is_offered(self, agent, fake, breaker, fault):
        if fault == "failing":
            fake.fail_statuses = [500] * 3
        elif fault == "hanging":
            fake.hang = True
        else:
            for _ in range(5):
                await breaker.record_failure()
        reply = await agent(
            "check_availability", **{k: BOOK[k] for k in ("service", "date", "time")}
        )
        assert reply.success
        assert reply.data["source"] == "local"


class TestChanges:
    async def test_cancel_while_calcom_is_down_changes_nothing(self, agent, fake, breaker, db):
        booked = await agent("book_appointment", **BOOK)
        fake.fail_statuses = [503]
        reply = await agent("cancel_appointment", appointment_id=booked.data["appointment_id"])
        assert not reply.success and reply.data["callback_offered"] is True
        assert "bleibt, wie er ist" in reply.message
        assert await statuses(db) == ["confirmed"]

    async def test_reschedule_is_pushed_to_calcom(self, agent, fake, breaker, db):
        booked = await agent("book_appointment", **BOOK)
        reply = await agent(
            "reschedule_appointment",
            appointment_id=booked.data["appointment_id"],
            new_date="2026-12-02",
            new_time="11:00",
        )
        assert reply.success, reply
        live = [b for b in fake.bookings.values() if b["status"] == "accepted"]
        assert len(live) == 1
