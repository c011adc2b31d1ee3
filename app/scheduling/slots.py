"""Pure slot finding: which starts are free for a service, and the nearest ones to a request.

A start is free for a staff member when the whole appointment lies inside one of their
working-hour ranges of that local day, every staff-required part avoids their busy
timeline, the start is on the local grid and not before the earliest bookable instant.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.scheduling.intervals import BusyTimeline, Interval
from app.scheduling.phases import ServiceTiming, staff_busy_intervals
from app.timezones import local_date, local_day_bounds, minutes_since_midnight, wall_time_to_utc


class AlternativeReason(enum.StrEnum):
    SAME_DAY_EARLIER = "same_day_earlier"
    SAME_DAY_LATER = "same_day_later"
    OTHER_DAY = "other_day"


class Unavailability(enum.StrEnum):
    IN_THE_PAST = "in_the_past"
    TOO_SHORT_NOTICE = "too_short_notice"
    OFF_GRID = "off_grid"
    OUTSIDE_WORKING_HOURS = "outside_working_hours"
    TAKEN = "taken"
    NO_QUALIFIED_STAFF = "no_qualified_staff"


@dataclass
class StaffCalendar:
    staff_id: int
    name: str
    # weekday (0 = Monday) -> wall-clock ranges
    working_hours: dict[int, list[tuple[time, time]]]
    busy: BusyTimeline = field(default_factory=lambda: BusyTimeline(()))


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    staff_id: int
    staff_name: str


@dataclass(frozen=True, slots=True)
class Alternative:
    slot: Slot
    reason: AlternativeReason


@dataclass
class SlotFinder:
    service: ServiceTiming
    split: bool
    tz: ZoneInfo
    grid_minutes: int
    earliest: datetime  # now + minimum notice
    now: datetime
    # Free starts per local day from an external calendar (Cal.com); None = local view only.
    external: dict[date, set[datetime]] | None = None

    def _externally_free(self, start: datetime, day: date) -> bool:
        return self.external is None or start in self.external.get(day, ())

    def _duration(self) -> timedelta:
        return timedelta(minutes=self.service.duration_minutes)

    def _working_ranges(self, staff: StaffCalendar, day: date) -> Iterator[Interval]:
        for start, end in staff.working_hours.get(day.weekday(), ()):
            start_utc = wall_time_to_utc(day, start, self.tz)
            end_utc = wall_time_to_utc(day, end, self.tz)
            if start_utc and end_utc and end_utc > start_utc:
                yield Interval(start_utc, end_utc)

    def anchor_for(self, requested: datetime) -> datetime:
        """Where alternatives are ranked from: the requested start, or for a request in the
        past the earliest bookable time."""
        return self.earliest if requested < self.now else requested

    def input_error(self, start: datetime) -> Unavailability | None:
        """A start no calendar could make bookable: in the past, or off the local grid."""
        if start < self.now:
            return Unavailability.IN_THE_PAST
        if (
            minutes_since_midnight(start, self.tz) % self.grid_minutes
            or start.second
            or start.microsecond
        ):
            return Unavailability.OFF_GRID
        return None

    def unavailability(self, staff: StaffCalendar, start: datetime) -> Unavailability | None:
        """Why `staff` cannot take an appointment at `start`, or None when they can."""
        if (bad_input := self.input_error(start)) is not None:
            return bad_input
        if start < self.earliest:
            return Unavailability.TOO_SHORT_NOTICE
        whole = Interval(start, start + self._duration())
        day = local_date(start, self.tz)
        if not any(r.contains(whole) for r in self._working_ranges(staff, day)):
            return Unavailability.OUTSIDE_WORKING_HOURS
        if not staff.busy.all_free(staff_busy_intervals(self.service, start, self.split)):
            return Unavailability.TAKEN
        if not self._externally_free(start, day):
            return Unavailability.TAKEN
        return None

    def free_starts(self, staff: StaffCalendar, day: date) -> Iterator[Slot]:
        duration = self._duration()
        grid = self.grid_minutes
        for working in self._working_ranges(staff, day):
            # Grid points are wall-clock minutes of the day, converted one by one so a DST
            # change inside the range cannot shift the grid.
            first = -(-minutes_since_midnight(working.start, self.tz) // grid) * grid
            minute = first
            while minute < 24 * 60:
                start = wall_time_to_utc(day, time(minute // 60, minute % 60), self.tz)
                minute += grid
                if start is None or start < working.start:
                    continue
                end = start + duration
                if end > working.end:
                    break
                if start < self.earliest or not self._externally_free(start, day):
                    continue
                if staff.busy.all_free(staff_busy_intervals(self.service, start, self.split)):
                    yield Slot(start, end, staff.staff_id, staff.name)

    def nearest(
        self,
        requested: datetime,
        staff_in_order: Sequence[StaffCalendar],
        limit: int,
        window_days: int,
        exclude: datetime | None = None,
    ) -> list[Alternative]:
        """Up to `limit` free starts closest to `requested`, never `exclude` (by default the
        requested start itself: offering the taken time back would be useless).

        All given calendars compete; ranked by distance and, on a tie, the later start first.
        One alternative per start time (the first calendar in order that is free wins it).
        """
        exclude = requested if exclude is None else exclude
        requested_day = local_date(requested, self.tz)
        found: dict[datetime, Slot] = {}
        for offset in _day_offsets(window_days):
            day = requested_day + timedelta(days=offset)
            if len(found) >= limit and day_distance(day, requested, self.tz) > max(
                abs(start - requested) for start in _best(found, requested, limit)
            ):
                continue  # nothing on this day can beat what was found
            if local_day_bounds(day, self.tz)[1] <= self.earliest:
                continue
            for staff in staff_in_order:
                for slot in self.free_starts(staff, day):
                    if slot.start != exclude and slot.start not in found:
                        found[slot.start] = slot
        ranked = _best(found, requested, limit)
        return [Alternative(found[start], _reason(start, requested, self.tz)) for start in ranked]


def _day_offsets(window_days: int) -> Iterator[int]:
    yield 0
    for distance in range(1, window_days + 1):
        yield distance
        yield -distance


def day_distance(day: date, requested: datetime, tz: ZoneInfo) -> timedelta:
    """Smallest possible distance from `requested` to any instant of local `day`."""
    start, end = local_day_bounds(day, tz)
    if requested < start:
        return start - requested
    if requested >= end:
        return requested - end
    return timedelta(0)


def _best(found: dict[datetime, Slot], requested: datetime, limit: int) -> list[datetime]:
    # Closest first; on a tie the later start first (customers rarely want to come earlier).
    return sorted(found, key=lambda start: (abs(start - requested), -start.timestamp()))[:limit]


def _reason(start: datetime, requested: datetime, tz: ZoneInfo) -> AlternativeReason:
    if local_date(start, tz) != local_date(requested, tz):
        return AlternativeReason.OTHER_DAY
    return (
        AlternativeReason.SAME_DAY_EARLIER
        if start < requested
        else AlternativeReason.SAME_DAY_LATER
    )
