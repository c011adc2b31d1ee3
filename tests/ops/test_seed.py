"""The demo seed: what a new user gets to try the API with, created once."""

from __future__ import annotations

from datetime import time

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.cache import MemoryCache
from app.ops.seed import DEMO_SLUG, seed_demo
from app.tenancy.companies import ApiKeyService
from app.tenancy.models import ApiKey, Branch, Company, Customer, PhoneNumber, Service, Staff
from tests.conftest import make_client, table_count

LUNCH = [(time(9), time(13)), (time(14), time(18))]


async def _seed(db):
    async with db() as session:
        seeded = await seed_demo(session)
        await session.commit()
    return seeded


class TestSeedDemo:
    async def test_creates_a_bookable_salon(self, db):
        seeded = await _seed(db)

        assert seeded.created and seeded.api_key.startswith("bk_")
        async with db() as session:
            company = await session.get(Company, seeded.company_id)
            branches = (await session.scalars(select(Branch))).all()
            numbers = (await session.scalars(select(PhoneNumber))).all()
            services = {s.name: s for s in (await session.scalars(select(Service))).all()}
            staff = (
                await session.scalars(
                    select(Staff).options(
                        selectinload(Staff.services), selectinload(Staff.working_hours)
                    )
                )
            ).all()
        assert (company.slug, company.timezone, company.language) == (
            DEMO_SLUG,
            "Europe/Berlin",
            "de",
        )
        assert len(branches) == 2 and all(branch.phone for branch in branches)
        assert {(n.number, n.branch_id) for n in numbers} == {(b.phone, b.id) for b in branches}

        colour, cut = services["Colour"], services["Cut"]
        assert (colour.duration_minutes, colour.has_processing_time) == (90, True)
        assert (colour.initial_duration, colour.processing_duration, colour.final_duration) == (
            30,
            30,
            30,
        )
        assert (cut.duration_minutes, cut.has_processing_time) == (30, False)

        assert len(staff) == 4
        for branch in branches:
            members = [member for member in staff if member.branch_id == branch.id]
            assert len(members) == 2
            assert any("Colour" in {s.name for s in m.services} for m in members), branch.name
        assert all("Cut" in {s.name for s in member.services} for member in staff)

        days = [{(wh.weekday, wh.start_time, wh.end_time) for wh in m.working_hours} for m in staff]
        full_day = {(day, time(9), time(18)) for day in range(6)}
        with_lunch = {(day, t0, t1) for day in range(6) for t0, t1 in LUNCH}
        assert all(hours in (full_day, with_lunch) for hours in days), "Mon-Sat, 09:00-18:00"
        assert full_day in days and with_lunch in days

        assert await table_count(db, "customers") == 2

    async def test_printed_key_authenticates_as_the_demo_company(self, app, db):
        seeded = await _seed(db)

        async with db() as session:
            tenant = await ApiKeyService(session, MemoryCache()).authenticate(seeded.api_key)
        async with make_client(app, seeded.api_key) as client:
            response = await client.get("/api/v1/branches")

        assert tenant.company_id == seeded.company_id and not tenant.is_admin
        assert response.status_code == 200
        assert sorted(b["name"] for b in response.json()["items"]) == ["Kreuzberg", "Mitte"]

    async def test_second_run_changes_nothing(self, db):
        first = await _seed(db)
        second = await _seed(db)

        assert (second.created, second.api_key) == (False, None)
        assert second.company_id == first.company_id
        async with db() as session:
            counts = {
                model.__tablename__: await session.scalar(select(func.count()).select_from(model))
                for model in (Company, Branch, Staff, Service, Customer, PhoneNumber, ApiKey)
            }
        assert counts == {
            "companies": 1,
            "branches": 2,
            "staff": 4,
            "services": 4,
            "customers": 2,
            "phone_numbers": 2,
            "api_keys": 1,
        }
