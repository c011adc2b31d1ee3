"""POST /availability/check and GET /availability."""

from tests.salon import booking, local, set_flags


async def check(client, salon, start, *, service="cut", staff=None, **extra):
    body = {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id if service == "cut" else salon.colour_id,
        "staff_id": staff,
        "start": start,
        **extra,
    }
    response = await client.post("/api/v1/availability/check", json=body)
    assert response.status_code == 200, response.text
    return response.json()


class TestCheck:
    async def test_free_time_is_available_with_the_slot_in_local_time(self, company_client, salon):
        result = await check(company_client, salon, local(1, 10), staff=salon.anna_id)
        assert result["available"] is True
        assert result["slot"]["start"] == "2026-12-01T10:00:00+01:00"
        assert result["slot"]["end"] == "2026-12-01T10:30:00+01:00"
        assert result["slot"]["staff_id"] == salon.anna_id
        assert result["source"] == "local"

    async def test_taken_time_offers_two_nearest_alternatives_same_staff_first(
        self, company_client, salon
    ):
        booked = await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert booked.status_code == 201
        result = await check(company_client, salon, local(1, 10), staff=salon.anna_id)
        assert result["available"] is False
        assert result["reason"] == "taken"
        alternatives = result["alternatives"]
        assert [a["start"] for a in alternatives] == [
            "2026-12-01T10:30:00+01:00",
            "2026-12-01T09:30:00+01:00",
        ]
        assert [a["reason"] for a in alternatives] == ["same_day_later", "same_day_earlier"]
        assert all(a["staff_id"] == salon.anna_id and a["same_staff"] for a in alternatives)

    async def test_any_staff_request_is_available_while_another_member_is_free(
        self, company_client, salon
    ):
        await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        result = await check(company_client, salon, local(1, 10))
        assert result["available"] is True
        assert result["slot"]["staff_id"] == salon.ben_id

    async def test_a_cut_fits_in_the_colours_processing_time(self, company_client, salon):
        colour = await company_client.post(
            "/api/v1/appointments",
            json=booking(salon, local(1, 10), service="colour", staff=salon.anna_id),
        )
        assert colour.status_code == 201
        inside = await check(company_client, salon, local(1, 10, 30), staff=salon.anna_id)
        during_final = await check(company_client, salon, local(1, 11), staff=salon.anna_id)
        assert inside["available"] is True
        assert during_final["available"] is False

    async def test_without_the_flag_the_colour_blocks_its_whole_duration(
        self, app, company_client, salon
    ):
        set_flags(app)  # everything off
        await company_client.post(
            "/api/v1/appointments",
            json=booking(salon, local(1, 10), service="colour", staff=salon.anna_id),
        )
        inside = await check(company_client, salon, local(1, 10, 30), staff=salon.anna_id)
        assert inside["available"] is False

    async def test_past_request_gets_alternatives_not_an_error(self, company_client, salon):
        result = await check(company_client, salon, "2026-11-01T10:00:00", staff=salon.anna_id)
        assert result["available"] is False
        assert result["reason"] == "in_the_past"
        assert result["alternatives"][0]["start"] == "2026-11-30T09:00:00+01:00"

    async def test_outside_opening_hours_gets_alternatives(self, company_client, salon):
        result = await check(company_client, salon, local(1, 20), staff=salon.anna_id)
        assert result["reason"] == "outside_working_hours"
        assert [a["start"] for a in result["alternatives"]] == [
            "2026-12-01T17:30:00+01:00",
            "2026-12-01T17:15:00+01:00",
        ]

    async def test_sunday_offers_other_days(self, company_client, salon):
        result = await check(company_client, salon, local(6, 12), staff=salon.anna_id)
        assert result["available"] is False
        assert {a["reason"] for a in result["alternatives"]} == {"other_day"}

    async def test_max_alternatives_is_honoured_and_capped(self, company_client, salon):
        result = await check(company_client, salon, local(6, 12), max_alternatives=5)
        assert len(result["alternatives"]) == 5
        too_many = await company_client.post(
            "/api/v1/availability/check",
            json={
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "start": local(1, 10),
                "max_alternatives": 11,
            },
        )
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["field"] == "body.max_alternatives"

    async def test_aware_start_is_taken_as_given(self, company_client, salon):
        result = await check(company_client, salon, "2026-12-01T09:00:00Z", staff=salon.anna_id)
        assert result["slot"]["start"] == "2026-12-01T10:00:00+01:00"


class TestBadInput:
    async def test_malformed_datetime_is_422_naming_the_field(self, company_client, salon):
        response = await company_client.post(
            "/api/v1/availability/check",
            json={
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "start": "tomorrow-ish",
            },
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.start"

    async def test_staff_not_qualified_is_422(self, company_client, salon):
        response = await company_client.post(
            "/api/v1/availability/check",
            json={
                "branch_id": salon.branch_id,
                "service_id": salon.colour_id,
                "staff_id": salon.ben_id,
                "start": local(1, 10),
            },
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.staff_id"

    async def test_other_tenants_service_is_404(self, company_client, other_client, salon):
        response = await other_client.post(
            "/api/v1/availability/check",
            json={"branch_id": salon.branch_id, "service_id": salon.cut_id, "start": local(1, 10)},
        )
        assert response.status_code == 404

    async def test_range_over_31_days_is_422(self, company_client, salon):
        response = await company_client.get(
            "/api/v1/availability",
            params={
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "date_from": "2026-12-01",
                "date_to": "2027-01-05",
            },
        )
        assert response.status_code == 422
        assert "31 days" in response.json()["detail"]


class TestList:
    async def test_day_listing_excludes_booked_and_respects_notice(self, company_client, salon):
        await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        response = await company_client.get(
            "/api/v1/availability",
            params={
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "staff_id": salon.anna_id,
                "date_from": "2026-11-30",
                "date_to": "2026-12-01",
            },
        )
        assert response.status_code == 200
        monday, tuesday = response.json()["days"]
        assert monday["slots"][0]["start"] == "2026-11-30T09:00:00+01:00"
        starts = [slot["start"][11:16] for slot in tuesday["slots"]]
        assert "10:00" not in starts and "09:45" not in starts and "10:15" not in starts
        assert "09:30" in starts and "10:30" in starts
        assert len(starts) == 35 - 3  # 09:00..17:30 every 15 minutes, less the booked cut
