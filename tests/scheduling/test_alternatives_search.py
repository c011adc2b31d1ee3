"""The staged alternatives search returns exactly what a search of the whole window returns."""

import random
from datetime import UTC, datetime, timedelta

from app.config import FeatureFlags
from app.scheduling.availability import SEARCH_WINDOW_DAYS, AvailabilityService
from app.scheduling.models import Appointment
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
        for trial in range(25):
            staff_id = rng.choice([salon.anna_id, salon.ben_id, None])
            requested = datetime(2026, 12, 1, 8, 0, tzinfo=UTC) + timedelta(
                days=rng.randrange(6), minutes=15 * rng.randrange(40)
            )
            limit = rng.choice([1, 2, 5])
            query = await service.resolve(salon.branch_id, salon.cut_id, staff_id)
            staged = await service.alternatives(query, requested, limit)
            assert [a.start for a in staged] == await _full_window(
                service, query, requested, limit
            ), f"trial {trial}: staff {staff_id}, {requested}, limit {limit}"


async def _full_window(service, query, requested, limit):
    """The reference: every candidate's calendar over the whole window, ranked at once."""
    finder = service.finder(query)
    window = service._search_window(query, requested)
    anchor = max(requested, finder.earliest) if requested < finder.now else requested
    calendars = await service.loader.calendars(query.candidates, window)
    groups = [calendars[:1], calendars[1:]] if query.requested_staff else [calendars]
    chosen = []
    for group in groups:
        taken = {alt.slot.start for alt in chosen}
        if len(chosen) >= limit or not group:
            continue
        for alt in finder.nearest(
            anchor, group, limit + len(taken), SEARCH_WINDOW_DAYS, exclude=requested
        ):
            if alt.slot.start not in taken and len(chosen) < limit:
                chosen.append(alt)
    return [alt.slot.start.astimezone(query.rules.tz) for alt in chosen]


class _NoCache:
    async def get(self, key):
        return None

    async def set(self, key, value, ttl_seconds=None):
        return None

    async def incr(self, key, ttl_seconds=None):
        return 1
