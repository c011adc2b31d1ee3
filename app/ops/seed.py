"""Demo data: one salon with two branches, staff, working hours, services and customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache, MemoryCache
from app.tenancy.companies import ApiKeyService, CompanyService
from app.tenancy.models import (
    Branch,
    Company,
    Customer,
    PhoneNumber,
    Service,
    Staff,
    WorkingHours,
)

DEMO_SLUG = "demo-salon"
DEMO_NAME = "Demo Salon"
DEMO_KEY_NAME = "demo"

MONDAY_TO_SATURDAY = range(6)
FULL_DAY = [(time(9), time(18))]
LUNCH_BREAK = [(time(9), time(13)), (time(14), time(18))]

# (name, address, phone); the phone number also routes voice calls to the branch.
BRANCHES = [
    ("Mitte", "Torstraße 101, 10119 Berlin", "+493023125000"),
    ("Kreuzberg", "Oranienstraße 25, 10999 Berlin", "+493023125100"),
]
# (name, minutes, price, (initial, processing, final) or None)
SERVICES = [
    ("Cut", 30, "35.00", None),
    ("Cut & blow-dry", 45, "48.00", None),
    ("Colour", 90, "85.00", (30, 30, 30)),
    ("Beard trim", 15, "18.00", None),
]
# (name, branch index, services, daily ranges)
STAFF = [
    ("Anna Schmidt", 0, ["Cut", "Cut & blow-dry", "Colour"], LUNCH_BREAK),
    ("Ben Müller", 0, ["Cut", "Beard trim"], FULL_DAY),
    ("Clara Weber", 1, ["Cut", "Cut & blow-dry", "Colour"], FULL_DAY),
    ("Deniz Kaya", 1, ["Cut", "Beard trim", "Cut & blow-dry"], LUNCH_BREAK),
]
# (name, phone, email, language)
CUSTOMERS = [
    ("Max Mustermann", "+4915112345678", "max@example.com", "de"),
    ("Erika Musterfrau", "+4917612345670", None, "en"),
]


@dataclass(frozen=True)
class DemoSeed:
    company_id: int
    created: bool
    # The raw key exists only when this call created the company: keys are stored hashed.
    api_key: str | None = None
    counts: dict[str, int] | None = None


async def seed_demo(session: AsyncSession, cache: Cache | None = None) -> DemoSeed:
    """Create the demo company unless one with slug `demo-salon` exists. Flushes, never commits."""
    existing = await session.scalar(select(Company).where(Company.slug == DEMO_SLUG))
    if existing is not None:
        return DemoSeed(company_id=existing.id, created=False)

    company = await CompanyService(session, cache or MemoryCache()).create(
        {"name": DEMO_NAME, "slug": DEMO_SLUG, "timezone": "Europe/Berlin", "language": "de"}
    )
    branches = [
        Branch(company_id=company.id, name=name, address=address, phone=phone)
        for name, address, phone in BRANCHES
    ]
    services = {
        name: _service(company.id, name, minutes, price, phases)
        for name, minutes, price, phases in SERVICES
    }
    customers = [
        Customer(company_id=company.id, name=name, phone=phone, email=email, language=language)
        for name, phone, email, language in CUSTOMERS
    ]
    session.add_all([*branches, *services.values(), *customers])
    await session.flush()

    numbers = [
        PhoneNumber(company_id=company.id, number=branch.phone, branch_id=branch.id)
        for branch in branches
    ]
    staff = [
        Staff(
            company_id=company.id,
            branch_id=branches[branch_index].id,
            name=name,
            services=[services[service] for service in qualified],
            working_hours=_week(company.id, ranges),
        )
        for name, branch_index, qualified, ranges in STAFF
    ]
    session.add_all([*numbers, *staff])
    await session.flush()

    issued = await ApiKeyService(session, cache or MemoryCache()).issue(company.id, DEMO_KEY_NAME)
    counts = {
        "branches": len(branches),
        "staff": len(staff),
        "services": len(services),
        "customers": len(customers),
        "phone_numbers": len(numbers),
    }
    return DemoSeed(company_id=company.id, created=True, api_key=issued.raw_key, counts=counts)


def _service(
    company_id: int,
    name: str,
    minutes: int,
    price: str,
    phases: tuple[int, int, int] | None,
) -> Service:
    initial, processing, final = phases or (None, None, None)
    return Service(
        company_id=company_id,
        name=name,
        duration_minutes=minutes,
        price=Decimal(price),
        has_processing_time=phases is not None,
        initial_duration=initial,
        processing_duration=processing,
        final_duration=final,
    )


def _week(company_id: int, ranges: list[tuple[time, time]]) -> list[WorkingHours]:
    return [
        WorkingHours(company_id=company_id, weekday=weekday, start_time=start, end_time=end)
        for weekday in MONDAY_TO_SATURDAY
        for start, end in ranges
    ]
