"""Cal.com as scheduling's calendar (`app.scheduling.ports.CalendarPort`).

Free starts are read through the client (3 s, retries, breaker) and cached per company,
event type and day for 60 s; bookings are created, cancelled and moved with the client's
5 s writes. Cal.com's failures are translated into the port's errors, so scheduling never
sees an HTTP detail.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.cache import Cache
from app.calcom.client import CalcomClient
from app.calcom.errors import CalcomError, CalcomRejectedError, CalcomSlotTakenError
from app.scheduling.ports import (
    Attendee,
    CalendarBooking,
    CalendarDownError,
    CalendarRefusedError,
    CalendarSlotTakenError,
)
from app.timezones import local_day_bounds

logger = logging.getLogger("app.calcom.calendar")

CACHE_TTL_SECONDS = 60


class CalcomCalendar:
    def __init__(self, client: CalcomClient, cache: Cache) -> None:
        self.client = client
        self.cache = cache

    async def free_starts(
        self, company_id: int, event_type_id: int, first: date, last: date, tz: ZoneInfo
    ) -> dict[date, set[datetime]] | None:
        """Free starts per local day from Cal.com, or None when Cal.com cannot answer."""
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        found: dict[date, set[datetime]] = {}
        missing: list[date] = []
        for day in days:
            cached = await self.cache.get(self._key(company_id, event_type_id, day))
            if cached is None:
                missing.append(day)
            else:
                found[day] = {datetime.fromisoformat(s) for s in json.loads(cached)}
        if missing:
            start = local_day_bounds(missing[0], tz)[0]
            end = local_day_bounds(missing[-1], tz)[1]
            try:
                fetched = await self.client.get_slots(event_type_id, start, end, str(tz))
            except CalcomError as exc:
                logger.warning(
                    "calcom.slots_unavailable_using_local_view",
                    extra={"event_type_id": event_type_id, "error": str(exc)},
                )
                return None
            by_day: dict[date, set[datetime]] = {day: set() for day in missing}
            for starts in fetched.values():
                for start_time in starts:
                    utc = start_time.astimezone(UTC)
                    local_day = utc.astimezone(tz).date()
                    if local_day in by_day:
                        by_day[local_day].add(utc)
            for day, starts in by_day.items():
                await self.cache.set(
                    self._key(company_id, event_type_id, day),
                    json.dumps(sorted(s.isoformat() for s in starts)),
                    CACHE_TTL_SECONDS,
                )
            found.update(by_day)
        return found

    async def create_booking(
        self, event_type_id: int, start: datetime, attendee: Attendee, metadata: dict[str, str]
    ) -> CalendarBooking:
        wire_attendee = {
            "name": attendee.name,
            "timeZone": attendee.time_zone,
            "language": attendee.language,
        }
        if attendee.email:
            wire_attendee["email"] = attendee.email
        if attendee.phone:
            wire_attendee["phoneNumber"] = attendee.phone
        try:
            booking = await self.client.create_booking(
                event_type_id, start, wire_attendee, metadata
            )
        except CalcomError as exc:
            raise _translate(exc) from exc
        return CalendarBooking(booking.uid, booking.start)

    async def cancel_booking(self, uid: str, reason: str | None) -> None:
        try:
            await self.client.cancel_booking(uid, reason)
        except CalcomError as exc:
            raise _translate(exc) from exc

    async def reschedule_booking(
        self, uid: str, start: datetime, reason: str | None
    ) -> CalendarBooking:
        try:
            booking = await self.client.reschedule_booking(uid, start, reason)
        except CalcomError as exc:
            raise _translate(exc) from exc
        # Cal.com gives a rescheduled booking a new uid (the old one is cancelled there).
        return CalendarBooking(booking.uid, booking.start)

    @staticmethod
    def _key(company_id: int, event_type_id: int, day: date) -> str:
        return f"calcom:slots:{company_id}:{event_type_id}:{day.isoformat()}"


def _translate(exc: CalcomError) -> Exception:
    if isinstance(exc, CalcomSlotTakenError):
        return CalendarSlotTakenError(str(exc))
    if isinstance(exc, CalcomRejectedError):
        return CalendarRefusedError(exc.message, gone=exc.status == 404)
    return CalendarDownError(str(exc))
