"""Plain async factories: sensible defaults, keyword overrides, committed rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import display_prefix, generate_api_key, hash_api_key
from app.tenancy.companies import slugify
from app.tenancy.models import (
    ApiKey,
    Branch,
    Company,
    Customer,
    PhoneNumber,
    Service,
    Staff,
    TimeOff,
    WorkingHours,
    staff_services,
)

Sessionmaker = async_sessionmaker[AsyncSession]


@dataclass
class TenantFixture:
    company_id: int
    api_key: str
    key_id: int
    branch_id: int


async def _save(db: Sessionmaker, *objects: Any) -> None:
    async with db() as session:
        session.add_all(objects)
        await session.commit()


async def make_tenant(db: Sessionmaker, name: str = "Salon", **company: Any) -> TenantFixture:
    """A company with one branch and one API key."""
    company_row = Company(name=name, slug=slugify(name), **company)
    await _save(db, company_row)
    raw_key = generate_api_key()
    key = ApiKey(
        company_id=company_row.id,
        name="test",
        prefix=display_prefix(raw_key),
        key_hash=hash_api_key(raw_key),
    )
    branch = Branch(company_id=company_row.id, name=f"{name} Mitte")
    await _save(db, key, branch)
    return TenantFixture(company_row.id, raw_key, key.id, branch.id)


async def make_service(db: Sessionmaker, company_id: int, **overrides: Any) -> Service:
    values: dict[str, Any] = {"name": "Haircut", "duration_minutes": 30, "price": Decimal("35.00")}
    values.update(overrides)
    service = Service(company_id=company_id, **values)
    await _save(db, service)
    return service


async def make_colour_service(db: Sessionmaker, company_id: int, **overrides: Any) -> Service:
    values: dict[str, Any] = {
        "name": "Colour",
        "duration_minutes": 90,
        "price": Decimal("80.00"),
        "has_processing_time": True,
        "initial_duration": 30,
        "processing_duration": 30,
        "final_duration": 30,
    }
    values.update(overrides)
    return await make_service(db, company_id, **values)


async def make_staff(
    db: Sessionmaker,
    company_id: int,
    branch_id: int,
    *,
    services: list[Service] = (),  # type: ignore[assignment]
    hours: dict[int, list[tuple[time, time]]] | None = None,
    **overrides: Any,
) -> Staff:
    """A staff member qualified for `services`, working 09:00-18:00 Mon-Sat unless `hours`."""
    staff = Staff(company_id=company_id, branch_id=branch_id, **{"name": "Anna", **overrides})
    await _save(db, staff)
    hours = hours if hours is not None else {day: [(time(9), time(18))] for day in range(6)}
    async with db() as session:
        for weekday, ranges in hours.items():
            for start, end in ranges:
                session.add(
                    WorkingHours(
                        company_id=company_id,
                        staff_id=staff.id,
                        weekday=weekday,
                        start_time=start,
                        end_time=end,
                    )
                )
        for service in services:
            await session.execute(
                staff_services.insert().values(staff_id=staff.id, service_id=service.id)
            )
        await session.commit()
    return staff


async def make_customer(db: Sessionmaker, company_id: int, **overrides: Any) -> Customer:
    values: dict[str, Any] = {"name": "Max Mustermann", "phone": "+4915112345678"}
    values.update(overrides)
    customer = Customer(company_id=company_id, **values)
    await _save(db, customer)
    return customer


async def make_branch(db: Sessionmaker, company_id: int, **overrides: Any) -> Branch:
    branch = Branch(company_id=company_id, **{"name": "Nord", **overrides})
    await _save(db, branch)
    return branch


async def make_time_off(
    db: Sessionmaker, company_id: int, staff_id: int, starts_at: datetime, ends_at: datetime
) -> TimeOff:
    time_off = TimeOff(
        company_id=company_id, staff_id=staff_id, starts_at=starts_at, ends_at=ends_at
    )
    await _save(db, time_off)
    return time_off


async def make_phone_number(db: Sessionmaker, company_id: int, **overrides: Any) -> PhoneNumber:
    values: dict[str, Any] = {"number": "+49301234567"}
    values.update(overrides)
    phone_number = PhoneNumber(company_id=company_id, **values)
    await _save(db, phone_number)
    return phone_number
