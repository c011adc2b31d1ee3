"""Services: CRUD, the processing-time rule on create and on merged PATCHes, filters."""

from decimal import Decimal

import pytest

from app.tenancy.models import Service
from tests import factories
from tests.conftest import table_count

COLOUR = {
    "name": "Colour",
    "duration_minutes": 90,
    "price": "80.00",
    "has_processing_time": True,
    "initial_duration": 30,
    "processing_duration": 40,
    "final_duration": 20,
}


async def stored(db, service_id: int) -> Service | None:
    async with db() as session:
        return await session.get(Service, service_id)


def error_fields(response) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


class TestCreateService:
    async def test_plain_service_is_created_company_wide(self, company_client, db, tenant):
        response = await company_client.post(
            "/api/v1/services",
            json={"name": "Haircut", "duration_minutes": 30, "price": "35.50"},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["name"] == "Haircut"
        assert body["branch_id"] is None
        assert body["price"] == "35.50"
        assert body["has_processing_time"] is False
        assert body["is_active"] is True
        row = await stored(db, body["id"])
        assert row.company_id == tenant.company_id
        assert row.duration_minutes == 30
        assert row.price == Decimal("35.50")

    async def test_split_service_keeps_its_phases(self, company_client, db, tenant):
        response = await company_client.post(
            "/api/v1/services", json={**COLOUR, "branch_id": tenant.branch_id}
        )
        assert response.status_code == 201, response.text
        assert response.json()["branch_id"] == tenant.branch_id
        row = await stored(db, response.json()["id"])
        assert row.has_processing_time is True
        assert (row.initial_duration, row.processing_duration, row.final_duration) == (30, 40, 20)

    async def test_final_phase_may_be_zero(self, company_client):
        body = {**COLOUR, "duration_minutes": 70, "final_duration": 0}
        response = await company_client.post("/api/v1/services", json=body)
        assert response.status_code == 201, response.text

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"initial_duration": None}, "body.initial_duration"),
            ({"processing_duration": None}, "body.processing_duration"),
            ({"final_duration": None}, "body.final_duration"),
            ({"initial_duration": 0, "processing_duration": 70}, "body.initial_duration"),
            ({"processing_duration": 0, "initial_duration": 70}, "body.processing_duration"),
            ({"final_duration": -5, "processing_duration": 65}, "body.final_duration"),
            ({"final_duration": 30}, "body.duration_minutes"),
            ({"duration_minutes": 0}, "body.duration_minutes"),
            ({"price": "-1"}, "body.price"),
            ({"price": "1.005"}, "body.price"),
        ],
    )
    async def test_invalid_service_is_422_naming_the_field_and_not_stored(
        self, company_client, db, changes, field
    ):
        response = await company_client.post("/api/v1/services", json={**COLOUR, **changes})
        assert response.status_code == 422, response.text
        assert error_fields(response) == [field]
        assert await table_count(db, "services") == 0

    async def test_phase_values_are_not_checked_without_processing_time(self, company_client):
        body = {**COLOUR, "has_processing_time": False, "final_duration": 99}
        response = await company_client.post("/api/v1/services", json=body)
        assert response.status_code == 201

    async def test_other_companys_branch_is_refused(self, company_client, db, other_tenant):
        response = await company_client.post(
            "/api/v1/services", json={**COLOUR, "branch_id": other_tenant.branch_id}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.branch_id"]
        assert await table_count(db, "services") == 0


class TestUpdateService:
    async def test_patch_changes_only_the_fields_sent(self, company_client, db, tenant):
        service = await factories.make_service(db, tenant.company_id, calcom_event_type_id=7)
        response = await company_client.patch(
            f"/api/v1/services/{service.id}", json={"name": "Short cut", "price": "20"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Short cut"
        assert response.json()["calcom_event_type_id"] == 7
        row = await stored(db, service.id)
        assert (row.name, row.price, row.duration_minutes) == ("Short cut", Decimal("20"), 30)

    async def test_changing_duration_of_split_service_is_checked_against_stored_phases(
        self, company_client, db, tenant
    ):
        service = await factories.make_colour_service(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/services/{service.id}", json={"duration_minutes": 60}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.duration_minutes"]
        assert (await stored(db, service.id)).duration_minutes == 90

    async def test_duration_and_phase_changed_together_are_accepted(
        self, company_client, db, tenant
    ):
        service = await factories.make_colour_service(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/services/{service.id}",
            json={"duration_minutes": 80, "processing_duration": 20},
        )
        assert response.status_code == 200, response.text
        row = await stored(db, service.id)
        assert (row.duration_minutes, row.processing_duration) == (80, 20)

    async def test_turning_on_processing_time_needs_phases(self, company_client, db, tenant):
        service = await factories.make_service(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/services/{service.id}", json={"has_processing_time": True}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.initial_duration"]
        assert (await stored(db, service.id)).has_processing_time is False

    async def test_null_for_a_required_field_is_422(self, company_client, db, tenant):
        service = await factories.make_service(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/services/{service.id}", json={"duration_minutes": None}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.duration_minutes"]

    async def test_branch_can_be_cleared_but_not_set_to_another_companys(
        self, company_client, db, tenant, other_tenant
    ):
        service = await factories.make_service(db, tenant.company_id, branch_id=tenant.branch_id)
        url = f"/api/v1/services/{service.id}"
        refused = await company_client.patch(url, json={"branch_id": other_tenant.branch_id})
        assert refused.status_code == 422
        assert error_fields(refused) == ["body.branch_id"]
        assert (await stored(db, service.id)).branch_id == tenant.branch_id
        cleared = await company_client.patch(url, json={"branch_id": None})
        assert cleared.status_code == 200
        assert (await stored(db, service.id)).branch_id is None


class TestListAndDeactivate:
    async def test_filters_and_pagination(self, company_client, db, tenant):
        company_wide = await factories.make_service(db, tenant.company_id, name="A")
        at_branch = await factories.make_service(
            db, tenant.company_id, name="B", branch_id=tenant.branch_id
        )
        retired = await factories.make_service(db, tenant.company_id, name="C", is_active=False)

        everything = (await company_client.get("/api/v1/services")).json()
        assert [item["id"] for item in everything["items"]] == [
            company_wide.id,
            at_branch.id,
            retired.id,
        ]
        assert everything["total"] == 3

        by_branch = await company_client.get(f"/api/v1/services?branch_id={tenant.branch_id}")
        assert [item["id"] for item in by_branch.json()["items"]] == [at_branch.id]
        active = await company_client.get("/api/v1/services?is_active=true")
        assert [item["id"] for item in active.json()["items"]] == [company_wide.id, at_branch.id]
        second_page = (await company_client.get("/api/v1/services?limit=2&offset=2")).json()
        assert [item["id"] for item in second_page["items"]] == [retired.id]
        assert (second_page["total"], second_page["limit"], second_page["offset"]) == (3, 2, 2)

    async def test_delete_deactivates_and_keeps_the_row(self, company_client, db, tenant):
        service = await factories.make_service(db, tenant.company_id)
        response = await company_client.delete(f"/api/v1/services/{service.id}")
        assert response.status_code == 204
        assert (await stored(db, service.id)).is_active is False
        fetched = await company_client.get(f"/api/v1/services/{service.id}")
        assert fetched.json()["is_active"] is False

    async def test_unknown_service_is_404_problem(self, company_client):
        response = await company_client.get("/api/v1/services/999999")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
