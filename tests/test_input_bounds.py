"""Input the database or the calendar cannot hold is a 422 naming the field, never a 500."""

import pytest

HUGE = 2**64  # beyond any integer column
JUST_BEYOND = 2**31  # one past MariaDB's INTEGER


def _names(response) -> list[str]:
    return [error["field"] for error in response.json().get("errors", [])]


@pytest.mark.parametrize("value", [HUGE, JUST_BEYOND, 0, -1])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/branches/{id}",
        "/api/v1/services/{id}",
        "/api/v1/staff/{id}",
        "/api/v1/staff/{id}/working-hours",
        "/api/v1/staff/{id}/time-off",
        "/api/v1/customers/{id}",
        "/api/v1/customers/{id}/modifications",
        "/api/v1/phone-numbers/{id}",
        "/api/v1/appointments/{id}",
        "/api/v1/appointments/{id}/modifications",
        "/api/v1/policies/company/{id}/cancellation",
    ],
)
async def test_out_of_range_path_ids_are_422(company_client, path, value):
    response = await company_client.get(path.format(id=value))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/services", {"offset": HUGE}, "offset"),
        ("/api/v1/services", {"branch_id": HUGE}, "branch_id"),
        ("/api/v1/staff", {"service_id": HUGE}, "service_id"),
        ("/api/v1/appointments", {"customer_id": JUST_BEYOND}, "customer_id"),
        ("/api/v1/policies", {"entity_id": HUGE}, "entity_id"),
        ("/api/v1/appointments", {"date_from": "0001-01-01T00:00:00"}, "date_from"),
        ("/api/v1/appointments", {"date_to": "9999-12-31T23:00:00"}, "date_to"),
    ],
)
async def test_out_of_range_filters_are_422_naming_the_filter(company_client, path, params, field):
    response = await company_client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert any(name.endswith(field) for name in _names(response))


async def test_out_of_range_body_ids_are_422(company_client, salon):
    response = await company_client.post(
        "/api/v1/staff",
        json={"name": "Zoe", "branch_id": salon.branch_id, "service_ids": [HUGE]},
    )
    assert response.status_code == 422
    booking = await company_client.post(
        "/api/v1/appointments",
        json={
            "branch_id": salon.branch_id,
            "service_id": JUST_BEYOND,
            "start": "2026-12-01T10:00:00",
            "customer_id": 1,
        },
    )
    assert booking.status_code == 422
    assert any(name.endswith("service_id") for name in _names(booking))


@pytest.mark.parametrize(
    "start", ["0001-01-01T10:00:00", "9999-12-31T23:00:00", "1999-12-31T10:00"]
)
async def test_years_outside_the_calendar_are_422(company_client, salon, start):
    body = {"branch_id": salon.branch_id, "service_id": salon.cut_id, "start": start}
    check = await company_client.post("/api/v1/availability/check", json=body)
    assert check.status_code == 422, check.text
    assert any(name.endswith("start") for name in _names(check))
    listing = await company_client.get(
        "/api/v1/availability",
        params={"branch_id": salon.branch_id, "service_id": salon.cut_id, "date_from": start[:10]},
    )
    assert listing.status_code == 422
    time_off = await company_client.post(
        f"/api/v1/staff/{salon.anna_id}/time-off",
        json={"starts_at": start, "ends_at": "2026-12-02T10:00:00"},
    )
    assert time_off.status_code == 422
    assert any(name.endswith("starts_at") for name in _names(time_off))


@pytest.mark.parametrize("zone", ["Europe", "America", "localtime", "EST5EDT", "posixrules", ""])
async def test_time_zones_that_are_not_real_zones_are_422(admin_client, company_client, zone):
    response = await company_client.patch("/api/v1/company", json={"timezone": zone})
    assert response.status_code == 422, response.text
    branch = await company_client.post("/api/v1/branches", json={"name": "Nord", "timezone": zone})
    assert branch.status_code == 422


async def test_real_zones_are_accepted(company_client):
    for zone in ("Europe/London", "America/Argentina/Buenos_Aires", "UTC", "Asia/Tokyo"):
        response = await company_client.patch("/api/v1/company", json={"timezone": zone})
        assert response.status_code == 200, (zone, response.text)


async def test_a_date_without_a_time_is_422_saying_a_time_is_needed(company_client, salon):
    body = {"branch_id": salon.branch_id, "service_id": salon.cut_id, "start": "2030-01-09"}
    response = await company_client.post("/api/v1/availability/check", json=body)
    assert response.status_code == 422
    assert "time is needed" in response.text
