"""One time-zone rule (`zone_of`): a branch's own zone, else its company's, for input,
output, listings, availability days, time off, the health day, Cal.com and quota days.

A Berlin company runs a London branch (one hour behind in winter) and a New York branch
(whose clocks change on 8 March 2026, three weeks before Berlin's).
"""

from datetime import UTC, datetime, time

import httpx
import pytest
from sqlalchemy import select, update

from app.calcom.breaker import CircuitBreaker
from app.calcom.calendar import CalcomCalendar
from app.calcom.client import CalcomClient
from app.policies.models import AppointmentModificationStat
from app.tenancy.models import Service
from tests import factories
from tests.salon import NOW, set_flags
from tools.fake_calcom import FakeCalcom, create_app

MON_TO_SAT = {day: [(time(9), time(18))] for day in range(6)}


@pytest.fixture
async def london(app, db, tenant):
    """A London branch with one stylist (09:00-18:00 London time) and a cut."""
    app.state.now = lambda: NOW  # Monday 30 November 2026, 07:00 UTC
    branch = await factories.make_branch(db, tenant.company_id, timezone="Europe/London")
    cut = await factories.make_service(db, tenant.company_id, name="Cut", duration_minutes=30)
    staff = await factories.make_staff(
        db, tenant.company_id, branch.id, services=[cut], hours=MON_TO_SAT, name="Olivia"
    )
    return branch.id, cut.id, staff.id


def wall(value: str) -> tuple[str, float]:
    """(local wall time, UTC offset in hours) of an ISO answer ("Z" is +00:00)."""
    moment = datetime.fromisoformat(value)
    return moment.strftime("%Y-%m-%dT%H:%M"), moment.utcoffset().total_seconds() / 3600


def _check(branch, service, start, staff=None):
    return {"branch_id": branch, "service_id": service, "staff_id": staff, "start": start}


def _book(branch, service, start, phone="+447911123456"):
    return {
        "branch_id": branch,
        "service_id": service,
        "start": start,
        "customer": {"name": "Amelia", "phone": phone},
    }


class TestLondonBranchOfABerlinCompany:
    async def test_a_booking_at_noon_is_noon_london_time_with_londons_offset(
        self, company_client, london
    ):
        branch, cut, _ = london
        response = await company_client.post(
            "/api/v1/appointments", json=_book(branch, cut, "2026-12-01T12:00:00")
        )
        assert response.status_code == 201, response.text
        assert wall(response.json()["starts_at"]) == ("2026-12-01T12:00", 0)  # not 13:00+01:00
        read_back = await company_client.get(f"/api/v1/appointments/{response.json()['id']}")
        assert wall(read_back.json()["starts_at"]) == ("2026-12-01T12:00", 0)

    async def test_working_hours_are_londons(self, company_client, london):
        branch, cut, staff = london
        # 08:30 in London is 09:30 in Berlin: inside Berlin's hours, not London's.
        early = await company_client.post(
            "/api/v1/availability/check", json=_check(branch, cut, "2026-12-01T08:30:00", staff)
        )
        assert early.json()["reason"] == "outside_working_hours"
        assert wall(early.json()["requested_start"]) == ("2026-12-01T08:30", 0)
        nine = await company_client.post(
            "/api/v1/availability/check", json=_check(branch, cut, "2026-12-01T09:00:00", staff)
        )
        assert nine.json()["available"] is True
        assert wall(nine.json()["slot"]["start"]) == ("2026-12-01T09:00", 0)

    async def test_the_day_listing_is_londons_day(self, company_client, london):
        branch, cut, _ = london
        listing = await company_client.get(
            "/api/v1/availability",
            params={"branch_id": branch, "service_id": cut, "date_from": "2026-12-01"},
        )
        starts = [wall(slot["start"]) for slot in listing.json()["days"][0]["slots"]]
        assert starts[0] == ("2026-12-01T09:00", 0)
        assert starts[-1] == ("2026-12-01T17:30", 0)

    async def test_listing_appointments_reads_dates_in_the_branchs_zone(
        self, company_client, london
    ):
        branch, cut, _ = london
        await company_client.post(
            "/api/v1/appointments", json=_book(branch, cut, "2026-12-01T12:00:00")
        )

        async def listed(date_from: str) -> int:
            response = await company_client.get(
                "/api/v1/appointments", params={"branch_id": branch, "date_from": date_from}
            )
            return response.json()["total"]

        # 12:00 London is 13:00 Berlin: read in Berlin, 12:30 would still include it.
        assert await listed("2026-12-01T11:59:00") == 1
        assert await listed("2026-12-01T12:30:00") == 0

    async def test_time_off_without_an_offset_is_london_time(self, company_client, london):
        branch, cut, staff = london
        created = await company_client.post(
            f"/api/v1/staff/{staff}/time-off",
            json={"starts_at": "2026-12-01T10:00:00", "ends_at": "2026-12-01T11:00:00"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["starts_at"].startswith("2026-12-01T10:00:00")  # UTC = London
        blocked = await company_client.post(
            "/api/v1/availability/check", json=_check(branch, cut, "2026-12-01T10:30:00", staff)
        )
        assert blocked.json()["reason"] == "taken"
        free = await company_client.post(
            "/api/v1/availability/check", json=_check(branch, cut, "2026-12-01T11:00:00", staff)
        )
        assert free.json()["available"] is True

    async def test_a_cancellations_quota_day_is_londons_day(self, app, db, company_client, london):
        branch, cut, _ = london
        app.state.now = lambda: datetime(2026, 6, 20, 10, 0, tzinfo=UTC)
        booked = await company_client.post(
            "/api/v1/appointments", json=_book(branch, cut, "2026-07-04T12:00:00")
        )
        assert booked.status_code == 201, booked.text
        # 23:30 UTC on 30 June: 00:30 on 1 July in London (summer time), 01:30 in Berlin.
        app.state.now = lambda: datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        cancelled = await company_client.post(f"/api/v1/appointments/{booked.json()['id']}/cancel")
        assert cancelled.status_code == 200
        async with db() as session:
            (stat,) = (await session.execute(select(AppointmentModificationStat))).scalars()
        # London's midnight; a UTC day would start at 00:00Z, Berlin's at 22:00Z.
        assert stat.period_start == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


class TestDaylightSavingInOneZoneOnly:
    """New York moves to summer time on 8 March 2026, Berlin on 29 March."""

    @pytest.fixture
    async def new_york(self, app, db, tenant):
        app.state.now = lambda: datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
        branch = await factories.make_branch(db, tenant.company_id, timezone="America/New_York")
        cut = await factories.make_service(db, tenant.company_id, name="Cut", duration_minutes=30)
        await factories.make_staff(
            db, tenant.company_id, branch.id, services=[cut], hours=MON_TO_SAT, name="Grace"
        )
        return branch.id, cut.id

    async def test_a_booking_after_new_yorks_change_carries_summer_time(
        self, company_client, new_york
    ):
        branch, cut = new_york
        response = await company_client.post(
            "/api/v1/appointments", json=_book(branch, cut, "2026-03-10T10:00:00", "+12125550123")
        )
        assert response.status_code == 201, response.text
        # EDT (-04:00); Berlin is still on winter time, where this is 15:00 (+01:00).
        assert wall(response.json()["starts_at"]) == ("2026-03-10T10:00", -4)

    async def test_listings_either_side_of_the_change_use_each_days_offset(
        self, company_client, new_york
    ):
        branch, cut = new_york
        listing = await company_client.get(
            "/api/v1/availability",
            params={
                "branch_id": branch,
                "service_id": cut,
                "date_from": "2026-03-07",
                "date_to": "2026-03-09",
            },
        )
        saturday, sunday, monday = listing.json()["days"]
        assert wall(saturday["slots"][0]["start"]) == ("2026-03-07T09:00", -5)
        assert sunday["slots"] == []  # not a working day
        assert wall(monday["slots"][0]["start"]) == ("2026-03-09T09:00", -4)


class TestTheHealthDayIsTheBranchsDay:
    async def test_an_appointment_that_is_today_in_auckland_but_tomorrow_in_berlin(
        self, app, db, company_client, tenant
    ):
        # 12:00 UTC: 01:00 on Tuesday 1 December in Auckland, still Monday noon in Berlin.
        app.state.now = lambda: datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        set_flags(app, processing_time_enabled=True)
        branch = await factories.make_branch(db, tenant.company_id, timezone="Pacific/Auckland")
        colour = await factories.make_colour_service(db, tenant.company_id)
        await factories.make_staff(
            db, tenant.company_id, branch.id, services=[colour], hours=MON_TO_SAT, name="Aroha"
        )
        booked = await company_client.post(
            "/api/v1/appointments", json=_book(branch.id, colour.id, "2026-12-01T14:00:00")
        )
        assert booked.status_code == 201, booked.text
        health = await company_client.get("/api/v1/ops/processing-time-health")
        assert health.json()["split_appointments"] == 1


class TestCalcomGetsTheBranchsZone:
    async def test_slot_queries_and_the_attendee_use_londons_zone(
        self, app, db, company_client, london
    ):
        branch, cut, _ = london
        async with db() as session:
            await session.execute(
                update(Service).where(Service.id == cut).values(calcom_event_type_id=4242)
            )
            await session.commit()
        fake = FakeCalcom(zone="Europe/London")
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(fake)))
        client = CalcomClient(
            http, "http://calcom.test/v2", "cal_key", CircuitBreaker(app.state.cache, "calcom")
        )
        app.state.calendar = CalcomCalendar(client, app.state.cache)
        try:
            response = await company_client.post(
                "/api/v1/appointments", json=_book(branch, cut, "2026-12-01T12:00:00")
            )
            assert response.status_code == 201, response.text
            check = await company_client.post(
                "/api/v1/availability/check", json=_check(branch, cut, "2026-12-02T10:00:00")
            )
            assert check.json()["source"] == "calcom"
        finally:
            await http.aclose()
        created = next(r for r in fake.requests if r.method == "POST")
        assert created.body["attendee"]["timeZone"] == "Europe/London"
        slots = next(r for r in fake.requests if r.method == "GET")
        assert slots.query["timeZone"] == "Europe/London"
