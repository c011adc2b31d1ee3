"""Reading client datetimes in the company's zone and walking local calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


def to_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """Aware UTC; a value without an offset is read as wall time in `tz`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


# Availability converts every grid point of every working day this way, the same few
# thousand (day, time) pairs again for each check: remembered, not recomputed.
@lru_cache(maxsize=16384)
def wall_time_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime | None:
    """UTC instant of a wall-clock time, or None when the clock skips it (spring forward)."""
    local = datetime.combine(day, wall, tzinfo=tz)
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start and end of a local calendar day (23 or 25 hours long on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def minutes_since_midnight(instant: datetime, tz: ZoneInfo) -> int:
    local = instant.astimezone(tz)
    return local.hour * 60 + local.minute


def day_with_neighbours(instant: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of the local day of `instant` and the days either side of it: enough
    calendar to judge a start (an appointment from the day before can run into it)."""
    day_start, day_end = local_day_bounds(instant.astimezone(tz).date(), tz)
    return day_start - timedelta(days=1), day_end + timedelta(days=1)
