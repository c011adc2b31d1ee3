"""The Cal.com client against the fake: headers, parsing, typed errors, retries, deadlines."""

import time
from datetime import UTC, date, datetime

import pytest

from app.calcom.errors import (
    CalcomRejectedError,
    CalcomSlotTakenError,
    CalcomTimeoutError,
    CalcomUnavailableError,
)

DAY_START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
DAY_END = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
ATTENDEE = {"name": "Erika", "timeZone": "Europe/Berlin", "phoneNumber": "+4915112345678"}


class TestSlots:
    async def test_reads_slots_grouped_by_day_with_the_version_header(self, calcom, fake):
        slots = await calcom.get_slots(42, DAY_START, DAY_END, "Europe/Berlin")
        assert list(slots) == [date(2026, 12, 1)]
        assert slots[date(2026, 12, 1)][0] == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        request = fake.requests[-1]
        assert request.headers["cal-api-version"] == "2024-09-04"
        assert request.headers["authorization"] == "Bearer cal_test_key"
        assert request.query["eventTypeId"] == "42"

    async def test_busy_times_are_left_out(self, calcom, fake):
        fake.busy.add(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        slots = await calcom.get_slots(42, DAY_START, DAY_END)
        assert datetime(2026, 12, 1, 9, 0, tzinfo=UTC) not in slots[date(2026, 12, 1)]

    async def test_502_503_are_retried_within_the_budget(self, calcom, fake):
        fake.fail_statuses = [502, 503]
        slots = await calcom.get_slots(42, DAY_START, DAY_END)
        assert slots
        assert len(fake.requests) == 3

    async def test_500_is_unavailable_without_a_retry(self, calcom, fake):
        fake.fail_statuses = [500, 500]
        with pytest.raises(CalcomUnavailableError):
            await calcom.get_slots(42, DAY_START, DAY_END)
        assert len(fake.requests) == 1

    async def test_persistent_503_is_unavailable_after_three_attempts(self, calcom, fake):
        fake.fail_statuses = [503] * 5
        with pytest.raises(CalcomUnavailableError):
            await calcom.get_slots(42, DAY_START, DAY_END)
        assert len(fake.requests) == 3

    async def test_hang_is_cut_at_the_read_deadline(self, calcom, fake):
        fake.hang = True
        started = time.perf_counter()
        with pytest.raises(CalcomTimeoutError):
            await calcom.get_slots(42, DAY_START, DAY_END)
        assert time.perf_counter() - started < 0.5 + 0.3

    async def test_4xx_is_a_rejection_and_not_retried(self, calcom, fake):
        fake.fail_statuses = [400]
        with pytest.raises(CalcomRejectedError) as raised:
            await calcom.get_slots(42, DAY_START, DAY_END)
        assert raised.value.status == 400
        assert len(fake.requests) == 1


class TestBookings:
    async def test_create_sends_utc_start_and_returns_the_uid(self, calcom, fake):
        booking = await calcom.create_booking(
            42, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), ATTENDEE, {"appointment_id": "7"}
        )
        assert booking.uid in fake.bookings
        request = fake.requests[-1]
        assert request.body["start"] == "2026-12-01T10:00:00Z"
        assert request.body["metadata"] == {"appointment_id": "7"}
        assert request.headers["cal-api-version"] == "2024-08-13"

    async def test_taken_slot_400_is_slot_taken(self, calcom, fake):
        fake.busy.add(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
        with pytest.raises(CalcomSlotTakenError):
            await calcom.create_booking(42, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), ATTENDEE)

    async def test_409_is_slot_taken_too(self, calcom, fake):
        fake.fail_statuses = [409]
        with pytest.raises(CalcomSlotTakenError):
            await calcom.create_booking(42, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), ATTENDEE)

    async def test_write_is_never_retried(self, calcom, fake):
        fake.fail_statuses = [503, 503]
        with pytest.raises(CalcomUnavailableError):
            await calcom.create_booking(42, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), ATTENDEE)
        assert len(fake.requests) == 1
        assert fake.bookings == {}

    async def test_reschedule_gives_a_new_uid_and_cancel_cancels(self, calcom, fake):
        first = await calcom.create_booking(42, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), ATTENDEE)
        moved = await calcom.reschedule_booking(first.uid, datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
        assert moved.uid != first.uid
        assert moved.rescheduled_from_uid == first.uid
        cancelled = await calcom.cancel_booking(moved.uid, "ill")
        assert cancelled.status == "cancelled"
        assert fake.requests[-1].body == {"cancellationReason": "ill"}

    async def test_write_hang_is_cut_at_the_write_deadline(self, calcom, fake):
        fake.hang = True
        with pytest.raises(CalcomTimeoutError):
            await calcom.cancel_booking("abc")
