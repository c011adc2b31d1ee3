"""The staged alternatives search returns exactly what a brute-force search of the whole
window returns."""

import random
from datetime import UTC, datetime, timedelta

from app.config import FeatureFlags
from app.scheduling.availability import SEARCH_WINDOW_DAYS, AvailabilityService
from app.scheduling.intervals import Interval
from app.scheduling.models import Appointment
from app.timezones import local_day_bounds
from tests.factories import make_customer
from tests.salon import NOW


async def test_staged_search_matches_the_full_window_on_random_calendars(db, salon, tenant):
    rng = random.Random(20261130)
    customer_id = (await make_customer(db, tenant.company_id)).id
    async with db() as session:
        # Fill Anna's and Ben's next three weeks at random, denser near the requested days.
        for staff_id in (salon.anna_id, salon.ben_id):
            for day in range(21):
                for slot in range(18):
                    if rng.random() < (0.9 if day < 5 else 0.5):
                        start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC) + timedelta(
                            days=day, minutes=30 * slot
                        )
                        session.add(
                            Appointment(
                                company_id=salon.company_id,
                                branch_id=salon.branch_id,
                                service_id=salon.cut_id,
                                staff_id=staff_id,
                                customer_id=customer_id,
                                starts_at=start,
                                ends_at=start + timedelta(minutes=30),
                            )
                        )
        await session.commit()

    async with db() as session:
        service = AvailabilityService(
            session, salon.company_id, _NoCache(), FeatureFlags(), clock=lambda: NOW
        )
        for trial in range(40):
            staff_id = rng.choice([salon.anna_id, salon.ben_id, None])
            # From ten days in the past (ranked from the earliest bookable time) to next week.
            requested = datetime(2026, 12, 1, 8, 0, tzinfo=UTC) + timedelta(
                days=rng.randrange(-11, 6), minutes=15 * rng.randrange(40)
            )
            limit = rng.choice([1, 2, 5])
            query = await service.resolve(salon.branch_id, salon.cut_id, staff_id)
            staged = await service.alternatives(query, requested, limit)
            assert [a.start for a in staged] == await _brute_force(
                service, query, requested, limit
            ), f"trial {trial}: staff {staff_id}, {requested}, limit {limit}"


async def _brute_force(service, query, requested, limit):
    """The reference: every free start of every qualified staff member in the window, ranked
    by brute force.

    The anchor is the requested time, or the earliest bookable time (now + minimum notice)
    when the request lies in the past. The window is the anchor's local day and
    SEARCH_WINDOW_DAYS local days either side; for a request in the future that lies within
    [max(now + minimum notice, requested - 15 days), requested + 15 days]. Ranking: closest
    to the anchor first, on a tie the later start. A requested staff member's own starts come
    first, then other staff fill up with start times not yet offered; without a requested
    staff member everyone competes at once. One entry per start time, never the requested
    start itself.
    """
    finder = service.finder(query)
    tz = query.rules.tz
    anchor = finder.earliest if requested < finder.now else requested
    anchor_day = anchor.astimezone(tz).date()
    days = [
        anchor_day + timedelta(days=offset)
        for offset in range(-SEARCH_WINDOW_DAYS, SEARCH_WINDOW_DAYS + 1)
    ]
    # Read more calendar than the window needs, so nothing in it is cut off.
    loaded = Interval(
        local_day_bounds(days[0] - timedelta(days=1), tz)[0],
        local_day_bounds(days[-1] + timedelta(days=1), tz)[1],
    )
    free: dict[int, set[datetime]] = {}
    for calendar in await service.loader.calendars(query.candidates, loaded):
        starts = {slot.start for day in days for slot in finder.free_starts(calendar, day)}
        free[calendar.staff_id] = starts - {requested}

    def ranked(starts):
        return sorted(starts, key=lambda start: (abs(start - anchor), -start.timestamp()))

    if query.requested_staff is None:
        chosen = ranked(set().union(*free.values()))[:limit]
    else:
        own = free.pop(query.requested_staff.id)
        chosen = ranked(own)[:limit]
        others = set().union(*free.values()) - set(chosen)
        chosen += ranked(others)[: limit - len(chosen)]
    return [start.astimezone(tz) for start in chosen]


class _NoCache:
    computed = None  # keeps no calendars either

    async def get(self, key):
        return None

    async def set(self, key, value, ttl_seconds=None):
        return None

    async def incr(self, key, ttl_seconds=None):
        return 1


async def test_request_in_the_past_never_offers_a_booked_day(db, salon, tenant, company_client):
    """Ranked from the earliest bookable time, the search must read the calendar around that
    time too, not around the (past) requested one."""
    customer_id = (await make_customer(db, tenant.company_id)).id
    async with db() as session:
        for day in range(13):  # Anna is fully booked from Monday 30 Nov to Saturday 12 Dec
            start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC) + timedelta(days=day)
            session.add(
                Appointment(
                    company_id=salon.company_id,
                    branch_id=salon.branch_id,
                    service_id=salon.cut_id,
                    staff_id=salon.anna_id,
                    customer_id=customer_id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=9),
                )
            )
        await session.commit()
    response = await company_client.post(
        "/api/v1/availability/check",
        json={
            "branch_id": salon.branch_id,
            "service_id": salon.cut_id,
            "staff_id": salon.anna_id,
            "start": "2026-11-20T10:00:00",
        },
    )
    result = response.json()
    assert result["reason"] == "in_the_past"
    assert [a["start"] for a in result["alternatives"]] == [
        "2026-12-14T09:00:00+01:00",
        "2026-12-14T09:15:00+01:00",
    ]
