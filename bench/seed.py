"""Seeds a benchmark salon: 10 staff, a cut and a colour service, 2,000 appointments."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.auth import display_prefix, generate_api_key, hash_api_key
from app.db import create_engine, create_sessionmaker, transaction
from app.scheduling.models import Appointment
from app.scheduling.phases import phase_rows
from app.tenancy.models import (
    ApiKey,
    Branch,
    Company,
    Customer,
    PhoneNumber,
    Service,
    Staff,
    WorkingHours,
    staff_services,
)

TZ = ZoneInfo("Europe/Berlin")
STAFF_COUNT = 10
APPOINTMENTS = 2000
DAYS = 14
CALCOM_EVENT_TYPE = 4242
SLOTS_PER_DAY = 24  # half hours from 08:00 to 20:00
# The number a voice agent dials: it selects the bench company and branch.
PHONE_NUMBER = "+49309990001"
# Appointments this far ahead are within every notice the policy rows configure.
CANCELLABLE_AFTER_DAYS = 3


@dataclass
class BenchSalon:
    api_key: str
    branch_id: int
    cut_id: int
    colour_id: int
    staff_ids: list[int]
    first_day: date
    taken_starts: list[tuple[int, datetime]]  # (staff_id, local start) of seeded cuts
    calcom_cut_id: int
    company_id: int
    phone_number: str
    cancellable_ids: list[int]  # seeded appointments CANCELLABLE_AFTER_DAYS days ahead or more


async def seed(database_url: str, *, seed_value: int = 7) -> BenchSalon:
    rng = random.Random(seed_value)
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    sessionmaker = create_sessionmaker(engine)
    first_day = datetime.now(TZ).date() + timedelta(days=1)
    raw_key = generate_api_key()
    async with transaction(sessionmaker) as session:
        company = Company(
            name="Bench Salon",
            slug=f"bench-{rng.randrange(10**9)}",
            settings={"min_notice_minutes": 0},
        )
        session.add(company)
        await session.flush()
        branch = Branch(company_id=company.id, name="Bench Mitte")
        cut = Service(company_id=company.id, name="Cut", duration_minutes=30)
        # The same cut, booked through Cal.com (the fake one the benchmark starts).
        calcom_cut = Service(
            company_id=company.id,
            name="Cut (Cal.com)",
            duration_minutes=30,
            calcom_event_type_id=CALCOM_EVENT_TYPE,
        )
        colour = Service(
            company_id=company.id,
            name="Colour",
            duration_minutes=90,
            has_processing_time=True,
            initial_duration=30,
            processing_duration=30,
            final_duration=30,
        )
        session.add_all(
            [
                branch,
                cut,
                colour,
                calcom_cut,
                ApiKey(
                    company_id=company.id,
                    name="bench",
                    prefix=display_prefix(raw_key),
                    key_hash=hash_api_key(raw_key),
                ),
            ]
        )
        await session.flush()
        staff = [
            Staff(company_id=company.id, branch_id=branch.id, name=f"Staff {i + 1}")
            for i in range(STAFF_COUNT)
        ]
        session.add_all(staff)
        await session.flush()
        for member in staff:
            for weekday in range(6):
                session.add(
                    WorkingHours(
                        company_id=company.id,
                        staff_id=member.id,
                        weekday=weekday,
                        start_time=time(8),
                        end_time=time(20),
                    )
                )
            for service in (cut, colour, calcom_cut):
                await session.execute(
                    staff_services.insert().values(staff_id=member.id, service_id=service.id)
                )
        customers = [
            Customer(company_id=company.id, name=f"Customer {i}", phone=f"+49151{20000000 + i:08d}")
            for i in range(200)
        ]
        session.add_all(customers)
        await session.flush()
        session.add(PhoneNumber(company_id=company.id, number=PHONE_NUMBER, branch_id=branch.id))
        taken, appointments = _place_appointments(
            session, rng, company.id, branch.id, cut, colour, staff, customers, first_day
        )
    await engine.dispose()
    cancellable_from = datetime.combine(
        first_day + timedelta(days=CANCELLABLE_AFTER_DAYS), time(0), tzinfo=TZ
    )
    return BenchSalon(
        raw_key,
        branch.id,
        cut.id,
        colour.id,
        [m.id for m in staff],
        first_day,
        taken,
        calcom_cut.id,
        company.id,
        PHONE_NUMBER,
        [a.id for a in appointments if a.starts_at >= cancellable_from],
    )


def _place_appointments(
    session, rng, company_id, branch_id, cut, colour, staff, customers, first_day
) -> tuple[list[tuple[int, datetime]], list[Appointment]]:
    """2,000 appointments on the working days of the next two weeks, about 1 in 7 a colour."""
    working_days = [
        first_day + timedelta(days=d)
        for d in range(DAYS)
        if (first_day + timedelta(days=d)).weekday() < 6
    ]
    # Every (staff, day) gets half-hour starts taken from a shuffled list until 2,000 are placed.
    cells = [(member, day, list(range(SLOTS_PER_DAY))) for member in staff for day in working_days]
    taken: list[tuple[int, datetime]] = []
    appointments: list[Appointment] = []
    placed = 0
    while placed < APPOINTMENTS:
        if not any(free for _, _, free in cells):
            raise RuntimeError(f"calendar full after {placed} appointments")
        for member, day, free in cells:
            if placed >= APPOINTMENTS or not free:
                continue
            slot = free.pop(rng.randrange(len(free)))
            local_start = datetime.combine(day, time(8), tzinfo=TZ) + timedelta(minutes=30 * slot)
            start = local_start.astimezone(UTC)
            service = cut
            if rng.random() < 0.15 and {slot + 1, slot + 2} <= set(free):
                # A colour covers three half hours; keep the seeded calendar free of overlaps.
                free.remove(slot + 1)
                free.remove(slot + 2)
                service = colour
            appointment = Appointment(
                company_id=company_id,
                branch_id=branch_id,
                service_id=service.id,
                staff_id=member.id,
                customer_id=rng.choice(customers).id,
                starts_at=start,
                ends_at=start + timedelta(minutes=service.duration_minutes),
                source="api",
            )
            if service is colour:
                appointment.phases = phase_rows(service, company_id, member.id, start)
            else:
                taken.append((member.id, local_start))
            session.add(appointment)
            appointments.append(appointment)
            placed += 1
    return taken, appointments
