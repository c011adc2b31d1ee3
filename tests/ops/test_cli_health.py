"""`booking health processing-time`: reports orphans with exit code 1, repairs with --fix."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.db import create_engine, create_sessionmaker
from app.scheduling.models import Appointment, AppointmentPhase
from app.tenancy.models import Customer, Service, Staff
from tests.ops.test_cli import _run, database  # noqa: F401  (fixture)


async def cli(capsys, *argv: str) -> tuple[int, str, str]:
    # The CLI runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(_run, capsys, *argv)


async def _orphan_for_today(path) -> int:
    """A colour appointment starting now, stored without phases."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with create_sessionmaker(engine)() as session:
        colour = (
            await session.execute(select(Service).where(Service.name == "Colour"))
        ).scalar_one()
        staff = (await session.execute(select(Staff))).scalars().first()
        customer = (await session.execute(select(Customer))).scalars().first()
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        appointment = Appointment(
            company_id=colour.company_id,
            branch_id=staff.branch_id,
            service_id=colour.id,
            staff_id=staff.id,
            customer_id=customer.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=90),
        )
        session.add(appointment)
        await session.commit()
        appointment_id = appointment.id
    await engine.dispose()
    return appointment_id


async def _phase_count(path) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with create_sessionmaker(engine)() as session:
        count = len((await session.execute(select(AppointmentPhase))).scalars().all())
    await engine.dispose()
    return count


async def test_orphans_give_exit_1_and_fix_repairs_them(database, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FEATURE_PROCESSING_TIME_ENABLED", "true")
    assert (await cli(capsys, "migrate"))[0] == 0
    assert (await cli(capsys, "seed-demo"))[0] == 0
    healthy, out, _ = await cli(capsys, "health", "processing-time")
    assert healthy == 0 and "0 orphans" in out

    orphan_id = await _orphan_for_today(database)
    code, out, _ = await cli(capsys, "health", "processing-time", "--details")
    assert code == 1
    assert f"orphan: appointment {orphan_id}" in out and "--fix" in out

    code, out, _ = await cli(capsys, "health", "processing-time", "--fix")
    assert code == 0 and "1 fixed" in out
    assert await _phase_count(database) == 3
    assert (await cli(capsys, "health", "processing-time"))[0] == 0


async def test_without_the_flag_nothing_counts_as_split(database, capsys):  # noqa: F811
    assert (await cli(capsys, "migrate"))[0] == 0
    assert (await cli(capsys, "seed-demo"))[0] == 0
    await _orphan_for_today(database)
    code, out, _ = await cli(capsys, "health", "processing-time")
    assert code == 0 and "0 split appointments" in out
