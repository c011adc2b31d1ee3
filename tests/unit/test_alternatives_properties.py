"""SlotFinder against a brute-force reference, on random calendars in time zones far from
UTC, with half- and quarter-hour offsets, and on their daylight-saving days.

The reference walks every wall-clock grid minute of every local day in the window and
checks each start against the raw working hours and busy intervals, sharing nothing with
the finder but the conversion of a wall-clock time to UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from app.scheduling.intervals import BusyTimeline, Interval
from app.scheduling.slots import AlternativeReason, SlotFinder, StaffCalendar, Unavailability
from app.timezones import local_day_bounds, wall_time_to_utc
from tests.unit.calendars import PROPERTY, Svc

ZONES = [
    ZoneInfo(name)
    for name in (
        "Europe/Berlin",
        "America/New_York",
        "Asia/Tokyo",  # UTC+9: the local morning is the UTC day before
        "Pacific/Kiritimati",  # UTC+14
        "Pacific/Pago_Pago",  # UTC-11
        "Asia/Kathmandu",  # UTC+5:45
        "America/St_Johns",  # UTC-3:30 with DST
        "Australia/Lord_Howe",  # a 30-minute DST shift
        "America/Santiago",  # DST changes at midnight
    )
]


def _dst_days(tz: ZoneInfo) -> list[date]:
    """The local days of 2026 that are not 24 hours long."""
    days = []
    for n in range(365):
        day = date(2026, 1, 1) + timedelta(days=n)
        start, end = local_day_bounds(day, tz)
        if end - start != timedelta(days=1):
            days.append(day)
    return days


DST_DAYS = {tz.key: _dst_days(tz) for tz in ZONES}
SERVICES = [
    Svc(30),
    Svc(10),
    Svc(60),
    Svc(90, True, 30, 30, 30),
    Svc(50, True, 20, 30, 0),
    Svc(45, True, 10, 20, 15),
]


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@st.composite
def working_hours(draw) -> dict[int, list[tuple[time, time]]]:
    """Up to two ranges a day that may touch but never overlap (schedules refuse that)."""
    hours = {}
    for weekday in range(7):
        ranges, opens = [], 0
        for _ in range(draw(st.integers(0, 2))):
            opens += draw(st.integers(0, 48)) * 15
            if opens >= 24 * 60 - 1:
                break
            closes = min(opens + draw(st.integers(1, 24)) * 30, 24 * 60 - 1)
            ranges.append((time(opens // 60, opens % 60), time(closes // 60, closes % 60)))
            opens = closes
        hours[weekday] = ranges
    return hours


@st.composite
def scenarios(draw):
    tz = draw(st.sampled_from(ZONES))
    dst_days = DST_DAYS[tz.key]
    any_day = st.dates(date(2026, 1, 5), date(2026, 12, 20))
    day = draw(st.sampled_from(dst_days) | any_day if dst_days else any_day)
    day_start = local_day_bounds(day, tz)[0]
    staff = []
    for staff_id in range(1, draw(st.integers(1, 3)) + 1):
        # Up to ten appointments or absences from two days before to three days after, in
        # five-minute steps, five minutes to eight hours long.
        spans = draw(st.lists(st.tuples(st.integers(-576, 864), st.integers(1, 96)), max_size=10))
        busy = [
            Interval(day_start + _minutes(5 * at), day_start + _minutes(5 * (at + length)))
            for at, length in spans
        ]
        staff.append((StaffCalendar(staff_id, f"S{staff_id}", draw(working_hours())), busy))
    requested = day_start + _minutes(draw(st.integers(0, 24 * 60 - 1)))
    requested += timedelta(seconds=draw(st.sampled_from([0, 0, 0, 30])))
    earliest = requested + _minutes(draw(st.integers(-3 * 24 * 60, 24 * 60)))
    now = earliest - _minutes(draw(st.sampled_from([0, 60, 24 * 60])))
    grid = draw(st.sampled_from([5, 10, 15, 20, 30, 60]))
    window_days = draw(st.integers(0, 2))
    external = None
    if draw(st.booleans()):
        rnd = draw(st.randoms(use_true_random=False))
        local_day = requested.astimezone(tz).date()
        external = {
            d: {s for s in _grid_starts(d, grid, tz) if rnd.random() < 0.7}
            for d in (local_day + timedelta(days=n) for n in range(-window_days, window_days + 1))
            if rnd.random() < 0.9
        }
    finder = SlotFinder(
        draw(st.sampled_from(SERVICES)), draw(st.booleans()), tz, grid, earliest, now, external
    )
    exclude = draw(st.none() | st.integers(-8, 8).map(lambda k: requested + _minutes(k * grid)))
    return finder, staff, requested, draw(st.integers(1, 4)), window_days, exclude


def _grid_starts(day: date, grid: int, tz: ZoneInfo) -> list[datetime]:
    walls = (wall_time_to_utc(day, time(m // 60, m % 60), tz) for m in range(0, 24 * 60, grid))
    return [start for start in walls if start is not None]


def _fits(finder: SlotFinder, hours, start: datetime) -> bool:
    day = start.astimezone(finder.tz).date()
    end = start + _minutes(finder.service.duration_minutes)
    for opens, closes in hours.get(day.weekday(), ()):
        lo, hi = wall_time_to_utc(day, opens, finder.tz), wall_time_to_utc(day, closes, finder.tz)
        if lo is not None and hi is not None and lo <= start and end <= hi:
            return True
    return False


def _staff_free(finder: SlotFinder, busy: list[Interval], start: datetime) -> bool:
    s = finder.service
    if finder.split and s.has_processing_time:
        second = s.initial_duration + s.processing_duration
        needed = [(0, s.initial_duration), (second, second + s.final_duration)]
    else:
        needed = [(0, s.duration_minutes)]
    return not any(
        b.start < start + _minutes(hi) and start + _minutes(lo) < b.end
        for lo, hi in needed
        if hi > lo
        for b in busy
    )


def _reference_unavailability(finder: SlotFinder, hours, busy, start: datetime):
    wall = start.astimezone(finder.tz)
    if start < finder.now:
        return Unavailability.IN_THE_PAST
    if (wall.hour * 60 + wall.minute) % finder.grid_minutes or wall.second or wall.microsecond:
        return Unavailability.OFF_GRID
    if start < finder.earliest:
        return Unavailability.TOO_SHORT_NOTICE
    if not _fits(finder, hours, start):
        return Unavailability.OUTSIDE_WORKING_HOURS
    if not _staff_free(finder, busy, start):
        return Unavailability.TAKEN
    if finder.external is not None and start not in finder.external.get(wall.date(), ()):
        return Unavailability.TAKEN
    return None


def _reference_nearest(finder, staff, requested, limit, window_days, exclude):
    tz = finder.tz
    exclude = requested if exclude is None else exclude
    requested_day = requested.astimezone(tz).date()
    winner: dict[datetime, StaffCalendar] = {}
    for offset in range(-window_days, window_days + 1):
        for start in _grid_starts(requested_day + timedelta(days=offset), finder.grid_minutes, tz):
            if start >= finder.earliest and start != exclude:
                for calendar, busy in staff:  # the first free one in order wins the start
                    if (
                        _reference_unavailability(finder, calendar.working_hours, busy, start)
                        is None
                    ):
                        winner.setdefault(start, calendar)
    ranked = sorted(winner, key=lambda s: (abs(s - requested), -s.timestamp()))[:limit]

    def reason(start):
        if start.astimezone(tz).date() != requested_day:
            return AlternativeReason.OTHER_DAY
        return (
            AlternativeReason.SAME_DAY_EARLIER
            if start < requested
            else AlternativeReason.SAME_DAY_LATER
        )

    return [(s, winner[s].staff_id, reason(s)) for s in ranked]


def _calendars(staff):
    return [StaffCalendar(c.staff_id, c.name, c.working_hours, BusyTimeline(b)) for c, b in staff]


@PROPERTY
@given(scenarios())
def test_nearest_equals_a_brute_force_search(scenario):
    finder, staff, requested, limit, window_days, exclude = scenario
    found = finder.nearest(requested, _calendars(staff), limit, window_days, exclude=exclude)
    assert [(a.slot.start, a.slot.staff_id, a.reason) for a in found] == _reference_nearest(
        finder, staff, requested, limit, window_days, exclude
    )
    for alternative in found:
        slot = alternative.slot
        assert slot.end - slot.start == _minutes(finder.service.duration_minutes)


@PROPERTY
@given(scenarios())
def test_every_start_is_judged_like_the_reference(scenario):
    finder, staff, requested, _, _, _ = scenario
    day = requested.astimezone(finder.tz).date()
    candidates = [
        requested,
        finder.now,
        finder.earliest,
        *_grid_starts(day, finder.grid_minutes, finder.tz),
    ]
    for calendar, busy in zip(_calendars(staff), (b for _, b in staff), strict=True):
        for start in candidates:
            expected = _reference_unavailability(finder, calendar.working_hours, busy, start)
            assert finder.unavailability(calendar, start) == expected, start
        free = [slot.start for slot in finder.free_starts(calendar, day)]
        assert free == [
            s
            for s in _grid_starts(day, finder.grid_minutes, finder.tz)
            if s >= finder.earliest
            and _reference_unavailability(finder, calendar.working_hours, busy, s) is None
        ]
