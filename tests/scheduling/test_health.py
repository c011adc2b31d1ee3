"""GET /ops/processing-time-health: orphans found and repaired (DESIGN §5.1)."""

from datetime import datetime

from tests.conftest import table_count
from tests.salon import booking, set_flags

TODAY_10 = datetime(2026, 11, 30, 10, 0).isoformat()
TODAY_14 = datetime(2026, 11, 30, 14, 0).isoformat()


async def health(client, **params):
    response = await client.get("/api/v1/ops/processing-time-health", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestProcessingTimeHealth:
    async def test_no_split_appointments_is_healthy(self, company_client, salon):
        report = await health(company_client)
        assert report == {
            "day": "2026-11-30",
            "healthy": True,
            "split_appointments": 0,
            "with_phases": 0,
            "success_rate": 1.0,
            "orphans": [],
            "fixed": 0,
        }

    async def test_orphan_is_reported_then_fixed(self, app, company_client, salon, db):
        await company_client.post(
            "/api/v1/appointments", json=booking(salon, TODAY_10, service="colour")
        )
        # Phases not created automatically: the appointment becomes an orphan.
        set_flags(app, processing_time_enabled=True, processing_time_auto_create=False)
        orphan = (
            await company_client.post(
                "/api/v1/appointments",
                json=booking(salon, TODAY_14, service="colour", phone="+4915199999999"),
            )
        ).json()
        assert orphan["phases"] == []

        report = await health(company_client)
        assert report["healthy"] is False
        assert (report["split_appointments"], report["with_phases"]) == (2, 1)
        assert report["success_rate"] == 0.5
        assert [o["appointment_id"] for o in report["orphans"]] == [orphan["id"]]

        fixed = await health(company_client, fix="true")
        assert fixed["fixed"] == 1
        assert await table_count(db, "appointment_phases") == 6
        after = await health(company_client)
        assert after["healthy"] is True and after["success_rate"] == 1.0
        rebuilt = (await company_client.get(f"/api/v1/appointments/{orphan['id']}")).json()
        assert [p["starts_at"][11:16] for p in rebuilt["phases"]] == ["14:00", "14:30", "15:00"]

    async def test_only_the_callers_company_is_checked(self, company_client, other_client, salon):
        await company_client.post(
            "/api/v1/appointments", json=booking(salon, TODAY_10, service="colour")
        )
        assert (await health(other_client))["split_appointments"] == 0
