"""Working hours (the whole week replaced at once) and time off (read in the company's zone)."""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from app.tenancy.models import TimeOff, WorkingHours
from tests import factories
from tests.conftest import make_client, table_count


def error_fields(response) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


async def stored_hours(db, staff_id: int) -> list[tuple[int, time, time]]:
    async with db() as session:
        rows = await session.execute(
            select(WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time)
            .where(WorkingHours.staff_id == staff_id)
            .order_by(WorkingHours.weekday, WorkingHours.start_time)
        )
        return [tuple(row) for row in rows]


@pytest.fixture
async def staff(db, tenant):
    """Anna, working 09:00-18:00 Monday to Saturday."""
    return await factories.make_staff(db, tenant.company_id, tenant.branch_id)


def hours(weekday: int, start: str, end: str) -> dict:
    return {"weekday": weekday, "start_time": start, "end_time": end}


class TestWorkingHours:
    async def test_get_returns_the_week_sorted_as_hh_mm(self, company_client, staff):
        response = await company_client.get(f"/api/v1/staff/{staff.id}/working-hours")
        assert response.status_code == 200
        week = response.json()["working_hours"]
        assert [item["weekday"] for item in week] == [0, 1, 2, 3, 4, 5]
        assert week[0] == hours(0, "09:00", "18:00")

    async def test_put_replaces_the_whole_week(self, company_client, db, staff):
        new_week = [
            hours(1, "14:00", "18:00"),
            hours(0, "09:00", "12:30"),
            hours(1, "08:00", "12:00"),
            hours(0, "12:30", "17:00"),  # touching the previous range is not an overlap
        ]
        url = f"/api/v1/staff/{staff.id}/working-hours"
        response = await company_client.put(url, json={"working_hours": new_week})
        assert response.status_code == 200, response.text
        expected = [
            hours(0, "09:00", "12:30"),
            hours(0, "12:30", "17:00"),
            hours(1, "08:00", "12:00"),
            hours(1, "14:00", "18:00"),
        ]
        assert response.json()["working_hours"] == expected
        assert (await company_client.get(url)).json()["working_hours"] == expected
        assert await stored_hours(db, staff.id) == [
            (0, time(9), time(12, 30)),
            (0, time(12, 30), time(17)),
            (1, time(8), time(12)),
            (1, time(14), time(18)),
        ]

    async def test_empty_week_clears_the_hours(self, company_client, db, staff):
        response = await company_client.put(
            f"/api/v1/staff/{staff.id}/working-hours", json={"working_hours": []}
        )
        assert response.status_code == 200
        assert response.json() == {"working_hours": []}
        assert await stored_hours(db, staff.id) == []

    @pytest.mark.parametrize(
        ("week", "field"),
        [
            (
                [hours(0, "09:00", "12:00"), hours(0, "13:00", "13:00")],
                "body.working_hours.1.end_time",
            ),
            ([hours(2, "18:00", "09:00")], "body.working_hours.0.end_time"),
            ([hours(7, "09:00", "12:00")], "body.working_hours.0.weekday"),
            ([hours(-1, "09:00", "12:00")], "body.working_hours.0.weekday"),
            ([hours(0, "09:00:30", "12:00")], "body.working_hours.0.start_time"),
            ([hours(0, "9 Uhr", "12:00")], "body.working_hours.0.start_time"),
            (
                [
                    hours(0, "09:00", "12:00"),
                    hours(1, "09:00", "12:00"),
                    hours(0, "11:00", "14:00"),
                ],
                "body.working_hours.2",
            ),
            (
                [hours(3, "10:00", "11:00"), hours(3, "08:00", "18:00")],
                "body.working_hours.1",
            ),
            ([hours(4, "09:00", "12:00"), hours(4, "09:00", "12:00")], "body.working_hours.1"),
        ],
    )
    async def test_invalid_week_is_422_naming_the_range_and_keeps_the_old_one(
        self, company_client, db, staff, week, field
    ):
        before = await stored_hours(db, staff.id)
        response = await company_client.put(
            f"/api/v1/staff/{staff.id}/working-hours", json={"working_hours": week}
        )
        assert response.status_code == 422, response.text
        assert error_fields(response) == [field]
        assert await stored_hours(db, staff.id) == before

    async def test_overlap_reason_names_the_other_range(self, company_client, staff):
        week = [hours(0, "09:00", "12:00"), hours(0, "11:00", "14:00")]
        response = await company_client.put(
            f"/api/v1/staff/{staff.id}/working-hours", json={"working_hours": week}
        )
        assert response.json()["errors"][0]["reason"] == (
            "overlaps body.working_hours.0 (Monday 09:00-12:00)"
        )

    async def test_unknown_staff_is_404(self, company_client):
        url = "/api/v1/staff/999999/working-hours"
        assert (await company_client.get(url)).status_code == 404
        put = await company_client.put(url, json={"working_hours": []})
        assert put.status_code == 404


class TestTimeOff:
    async def test_naive_times_are_read_in_the_company_time_zone(self, company_client, db, staff):
        response = await company_client.post(
            f"/api/v1/staff/{staff.id}/time-off",
            json={
                "starts_at": "2026-07-01T10:00:00",
                "ends_at": "2026-07-01T12:00:00",
                "reason": "Dentist",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert datetime.fromisoformat(body["starts_at"]) == datetime(2026, 7, 1, 8, tzinfo=UTC)
        assert body["reason"] == "Dentist"
        async with db() as session:
            row = await session.get(TimeOff, body["id"])
        assert (row.starts_at, row.ends_at) == (
            datetime(2026, 7, 1, 8, tzinfo=UTC),
            datetime(2026, 7, 1, 10, tzinfo=UTC),
        )

    async def test_zone_is_the_companys_own(self, app, db):
        new_york = await factories.make_tenant(db, name="Salon NYC", timezone="America/New_York")
        staff = await factories.make_staff(db, new_york.company_id, new_york.branch_id)
        async with make_client(app, new_york.api_key) as client:
            response = await client.post(
                f"/api/v1/staff/{staff.id}/time-off",
                json={"starts_at": "2026-01-15T09:00:00", "ends_at": "2026-01-15T17:00:00"},
            )
        assert response.status_code == 201, response.text
        starts_at = datetime.fromisoformat(response.json()["starts_at"])
        assert starts_at == datetime(2026, 1, 15, 14, tzinfo=UTC)

    async def test_times_with_an_offset_are_kept(self, company_client, staff):
        response = await company_client.post(
            f"/api/v1/staff/{staff.id}/time-off",
            json={"starts_at": "2026-07-01T10:00:00Z", "ends_at": "2026-07-01T14:00:00-04:00"},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert datetime.fromisoformat(body["starts_at"]) == datetime(2026, 7, 1, 10, tzinfo=UTC)
        assert datetime.fromisoformat(body["ends_at"]) == datetime(2026, 7, 1, 18, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("starts_at", "ends_at"),
        [
            ("2026-07-01T12:00:00", "2026-07-01T10:00:00"),
            ("2026-07-01T12:00:00", "2026-07-01T12:00:00"),
            # 11:00 in Berlin is 09:00 UTC, before the start.
            ("2026-07-01T10:00:00Z", "2026-07-01T11:00:00"),
        ],
    )
    async def test_end_not_after_start_is_422(self, company_client, db, staff, starts_at, ends_at):
        response = await company_client.post(
            f"/api/v1/staff/{staff.id}/time-off", json={"starts_at": starts_at, "ends_at": ends_at}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.ends_at"]
        assert await table_count(db, "time_off") == 0

    async def test_list_filters_by_overlap_with_the_window(self, company_client, db, tenant, staff):
        def at(day: int, hour: int) -> datetime:
            return datetime(2026, 7, day, hour, tzinfo=UTC)

        early = await factories.make_time_off(db, tenant.company_id, staff.id, at(1, 8), at(1, 10))
        spanning = await factories.make_time_off(
            db, tenant.company_id, staff.id, at(2, 8), at(4, 18)
        )
        late = await factories.make_time_off(db, tenant.company_id, staff.id, at(9, 8), at(9, 10))
        url = f"/api/v1/staff/{staff.id}/time-off"

        async def ids(query: str = "") -> list[int]:
            response = await company_client.get(url + query)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert await ids() == [early.id, spanning.id, late.id]
        # 2026-07-03 00:00 Berlin is 2026-07-02 22:00 UTC.
        assert await ids("?from=2026-07-03T00:00:00&to=2026-07-05T00:00:00") == [spanning.id]
        assert await ids("?from=2026-07-04T19:00:00Z") == [late.id]
        assert await ids("?to=2026-07-01T11:00:00%2B02:00") == [early.id]
        reversed_window = await company_client.get(url + "?from=2026-07-05T00:00:00&to=2026-07-01")
        assert reversed_window.status_code == 422
        assert error_fields(reversed_window) == ["query.to"]

    async def test_delete_removes_only_that_entry(self, company_client, db, tenant, staff):
        start, end = datetime(2026, 7, 1, 8, tzinfo=UTC), datetime(2026, 7, 1, 10, tzinfo=UTC)
        keep = await factories.make_time_off(db, tenant.company_id, staff.id, start, end)
        drop = await factories.make_time_off(db, tenant.company_id, staff.id, start, end)
        response = await company_client.delete(f"/api/v1/staff/{staff.id}/time-off/{drop.id}")
        assert response.status_code == 204
        async with db() as session:
            remaining = (await session.execute(select(TimeOff.id))).scalars().all()
        assert remaining == [keep.id]

    async def test_time_off_of_another_staff_member_is_404(self, company_client, db, tenant, staff):
        colleague = await factories.make_staff(db, tenant.company_id, tenant.branch_id, name="Ben")
        start, end = datetime(2026, 7, 1, 8, tzinfo=UTC), datetime(2026, 7, 1, 10, tzinfo=UTC)
        entry = await factories.make_time_off(db, tenant.company_id, staff.id, start, end)
        response = await company_client.delete(f"/api/v1/staff/{colleague.id}/time-off/{entry.id}")
        assert response.status_code == 404
        assert await table_count(db, "time_off") == 1
