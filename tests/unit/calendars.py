"""Small builders for the pure scheduling tests: services, zones, staff calendars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import settings

from app.scheduling.intervals import BusyTimeline, Interval
from app.scheduling.slots import SlotFinder, StaffCalendar

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # UTC+5:45: off any 30-minute grid in UTC

# Property tests are part of the CI suite: the same examples every run, no example
# database written into the checkout, and no per-example deadline on a busy machine.
PROPERTY = settings(derandomize=True, database=None, deadline=None, print_blob=False)


@dataclass
class Svc:
    duration_minutes: int
    has_processing_time: bool = False
    initial_duration: int | None = None
    processing_duration: int | None = None
    final_duration: int | None = None
    id: int = 1
    company_id: int = 1


CUT = Svc(30)
COLOUR = Svc(90, True, 30, 30, 30)


def at(tz: ZoneInfo, *args: int) -> datetime:
    """A wall-clock time in `tz` as the aware UTC instant the code works with."""
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def every_day(*ranges: tuple[time, time]) -> dict[int, list[tuple[time, time]]]:
    return {weekday: list(ranges) for weekday in range(7)}


NINE_TO_SIX = every_day((time(9), time(18)))


def staff(
    *busy: Interval, hours=NINE_TO_SIX, staff_id: int = 1, name: str = "Anna"
) -> StaffCalendar:
    return StaffCalendar(staff_id, name, hours, BusyTimeline(busy))


def finder(
    service=CUT,
    now: datetime | None = None,
    *,
    tz: ZoneInfo = BERLIN,
    grid: int = 15,
    earliest: datetime | None = None,
    split: bool = True,
    external=None,
) -> SlotFinder:
    now = now or at(tz, 2026, 11, 30, 6, 0)
    return SlotFinder(service, split, tz, grid, earliest or now, now, external)


def local(instant: datetime, tz: ZoneInfo = BERLIN) -> str:
    return instant.astimezone(tz).strftime("%m-%d %H:%M")
