"""`jobs reconcile-calcom`: local appointments repaired from Cal.com's bookings."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from app.calcom import reconcile
from app.calcom.breaker import CircuitBreaker
from app.calcom.calendar import CalcomCalendar
from app.calcom.client import CalcomClient
from app.cli import main
from app.ops.jobs import parse_since, reconcile_calcom
from app.ops.runtime import Runtime
from app.policies.models import AppointmentModification
from app.scheduling.models import Appointment, AppointmentPhase
from app.tenancy.models import Service, Staff
from tools.fake_calcom import FakeCalcom, create_app

EVENT_TYPE = 4242
NINE_UTC = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
LONG_AGO = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeCalcom:
    return FakeCalcom()


@pytest.fixture
async def runtime(app, db, salon, fake, pinned_clock):
    """The app's parts with a Cal.com client talking to the fake; colour is linked."""
    async with db() as session:
        await session.execute(
            update(Service)
            .where(Service.id == salon.colour_id)
            .values(calcom_event_type_id=EVENT_TYPE)
        )
        await session.execute(
            update(Staff).where(Staff.id == salon.anna_id).values(calcom_user_id=77)
        )
        await session.commit()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(fake)))
    client = CalcomClient(
        http,
        "http://calcom.test/v2",
        "cal_key",
        CircuitBreaker(app.state.cache, "calcom"),
        read_timeout=0.5,
    )
    yield Runtime(
        settings=app.state.settings,
        metrics=app.state.metrics,
        engine=app.state.engine,
        sessionmaker=db,
        cache=app.state.cache,
        http=http,
        calcom=client,
        calendar=CalcomCalendar(client, app.state.cache),
    )
    await http.aclose()


async def run(runtime, since=LONG_AGO, later=timedelta(0)) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = await reconcile_calcom(
        runtime, since, clock=lambda: datetime.now(UTC) + later, out=lines.append
    )
    return code, lines


async def appointments(db) -> list[Appointment]:
    async with db() as session:
        stmt = select(Appointment).order_by(Appointment.id)
        return list((await session.execute(stmt)).scalars().all())


def walk_in(fake, start=NINE_UTC, **metadata) -> str:
    return fake.book(
        EVENT_TYPE,
        start,
        {"name": "Walk In", "email": "walk.in@example.com", "phoneNumber": "+4915155555555"},
        metadata or None,
    )


class TestRepairs:
    async def test_a_booking_we_lack_is_created(self, runtime, db, fake, salon):
        uid = walk_in(fake)
        code, lines = await run(runtime)
        assert code == 0
        assert lines[-1].endswith("created 1, moved 0, cancelled 0, confirmed 0, released 0")
        (created,) = await appointments(db)
        assert (created.calcom_booking_uid, created.status, created.source) == (
            uid,
            "confirmed",
            "calcom",
        )
        assert created.starts_at == NINE_UTC
        assert created.staff_id == salon.anna_id

    async def test_one_cancelled_there_is_cancelled_here_and_recorded(self, runtime, db, fake):
        uid = walk_in(fake)
        await run(runtime)
        fake.cancel(uid)
        code, lines = await run(runtime)
        assert lines[-1].endswith("created 0, moved 0, cancelled 1, confirmed 0, released 0")
        (appointment,) = await appointments(db)
        assert appointment.status == "cancelled"
        async with db() as session:
            (audit,) = (await session.execute(select(AppointmentModification))).scalars()
        assert (audit.modification_type, audit.modified_by_type) == ("cancel", "calcom")

    async def test_one_moved_there_is_moved_here_with_its_phases(self, runtime, db, fake):
        uid = walk_in(fake)
        await run(runtime)
        later = NINE_UTC + timedelta(hours=3)
        new_uid = fake.move(uid, later)
        code, lines = await run(runtime)
        assert lines[-1].endswith("created 0, moved 1, cancelled 0, confirmed 0, released 0")
        (appointment,) = await appointments(db)
        assert (appointment.calcom_booking_uid, appointment.starts_at) == (new_uid, later)
        async with db() as session:
            phases = (await session.execute(select(AppointmentPhase))).scalars().all()
        assert min(phase.starts_at for phase in phases) == later

    async def test_old_holds_are_confirmed_when_calcom_has_them_else_released(
        self, runtime, db, fake, salon
    ):
        holds = []
        async with db() as session:
            for hour in (9, 11):
                start = NINE_UTC.replace(hour=hour)
                hold = Appointment(
                    company_id=salon.company_id,
                    branch_id=salon.branch_id,
                    service_id=salon.colour_id,
                    staff_id=salon.anna_id,
                    customer_id=(await _customer(session, salon)),
                    starts_at=start,
                    ends_at=start + timedelta(minutes=90),
                    status="pending",
                )
                session.add(hold)
                holds.append(hold)
            await session.commit()
        # Cal.com made the first one; our side timed out before hearing so.
        made = walk_in(fake, appointment_id=str(holds[0].id))
        code, lines = await run(runtime, later=timedelta(minutes=11))
        assert lines[-1].endswith("confirmed 1, released 1")
        first, second = await appointments(db)
        assert (first.status, first.calcom_booking_uid) == ("confirmed", made)
        assert second.status == "cancelled"

    async def test_young_holds_are_left_alone(self, runtime, db, fake, salon):
        async with db() as session:
            session.add(
                Appointment(
                    company_id=salon.company_id,
                    branch_id=salon.branch_id,
                    service_id=salon.colour_id,
                    staff_id=salon.anna_id,
                    customer_id=(await _customer(session, salon)),
                    starts_at=NINE_UTC,
                    ends_at=NINE_UTC + timedelta(minutes=90),
                    status="pending",
                )
            )
            await session.commit()
        code, lines = await run(runtime)  # the booking call may still be in flight
        assert lines[-1].endswith("confirmed 0, released 0")
        assert [a.status for a in await appointments(db)] == ["pending"]

    async def test_a_second_run_changes_nothing(self, runtime, db, fake):
        uid = walk_in(fake)
        moved = fake.move(
            walk_in(fake, NINE_UTC + timedelta(hours=2)), NINE_UTC + timedelta(hours=5)
        )
        await run(runtime)
        fake.cancel(uid)
        await run(runtime)
        before = [
            (a.id, a.status, a.starts_at, a.calcom_booking_uid) for a in await appointments(db)
        ]
        code, lines = await run(runtime)
        assert lines[-1].endswith("created 0, moved 0, cancelled 0, confirmed 0, released 0")
        after = [
            (a.id, a.status, a.starts_at, a.calcom_booking_uid) for a in await appointments(db)
        ]
        assert after == before
        assert moved in {uid for *_, uid in after}

    async def test_every_page_is_read(self, runtime, db, fake, monkeypatch):
        monkeypatch.setattr(reconcile, "PAGE_SIZE", 2)
        for hour in range(5):
            walk_in(fake, NINE_UTC + timedelta(days=1, hours=hour))
        code, lines = await run(runtime)
        assert "5 bookings read" in lines[-1]
        assert len(await appointments(db)) == 5
        listings = [r for r in fake.requests if r.method == "GET" and r.path == "/v2/bookings"]
        assert [r.query["skip"] for r in listings] == ["0", "2", "4"]


class TestFailures:
    async def test_calcom_down_is_a_clear_error_exit_1_and_changes_nothing(
        self, runtime, db, fake, capsys
    ):
        walk_in(fake)
        fake.fail_statuses = [503] * 10
        code, lines = await run(runtime)
        assert code == 1
        assert "Cal.com did not answer" in capsys.readouterr().err
        assert await appointments(db) == []

    async def test_without_calcom_there_is_nothing_to_do(self, runtime):
        runtime.calcom = None
        code, lines = await run(runtime)
        assert code == 0
        assert "not configured" in lines[0]


class TestCommandLine:
    def test_since_reads_durations_and_moments(self):
        now = datetime(2026, 11, 30, 12, tzinfo=UTC)
        assert parse_since("24h", now) == now - timedelta(hours=24)
        assert parse_since("90m", now) == now - timedelta(minutes=90)
        assert parse_since("7d", now) == now - timedelta(days=7)
        assert parse_since("2026-11-29T08:00:00", now) == datetime(2026, 11, 29, 8, tzinfo=UTC)
        with pytest.raises(ValueError, match="24h"):
            parse_since("yesterday", now)

    def test_an_unreadable_since_is_an_error_naming_the_forms(self, capsys):
        assert main(["jobs", "reconcile-calcom", "--since", "yesterday"]) == 1
        assert "24h, 90m, 7d" in capsys.readouterr().err


def _state(appointment: Appointment) -> tuple:
    a = appointment
    return (a.id, a.status, a.starts_at, a.calcom_booking_uid)


async def _customer(session, salon) -> int:
    from app.tenancy.customers import CustomerService

    return await CustomerService(session, salon.company_id).upsert_by_phone(
        name="Hold", phone="+4915166666666"
    )
