"""Phone numbers: E.164, unique across all companies without saying who holds a number."""

import pytest
from sqlalchemy import select

from app.tenancy.models import PhoneNumber
from tests import factories
from tests.conftest import table_count


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


async def stored(db, phone_number_id: int) -> PhoneNumber | None:
    async with db() as session:
        return await session.get(PhoneNumber, phone_number_id)


class TestCreatePhoneNumber:
    async def test_number_is_stored_in_e164_with_branch_and_agent(self, company_client, db, tenant):
        response = await company_client.post(
            "/api/v1/phone-numbers",
            json={
                "number": "030 9876543",
                "branch_id": tenant.branch_id,
                "retell_agent_id": "agent_5f2c",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["number"] == "+49309876543"
        assert (body["branch_id"], body["retell_agent_id"]) == (tenant.branch_id, "agent_5f2c")
        row = await stored(db, body["id"])
        assert (row.company_id, row.number, row.branch_id) == (
            tenant.company_id,
            "+49309876543",
            tenant.branch_id,
        )

    async def test_branch_is_optional(self, company_client):
        response = await company_client.post(
            "/api/v1/phone-numbers", json={"number": "+49 30 1234567"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["branch_id"] is None

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"number": "hello"}, "body.number"),
            ({"number": "+49 3012"}, "body.number"),
            ({"number": "+49 30 1234567", "retell_agent_id": "x" * 129}, "body.retell_agent_id"),
            ({"number": "+49 30 1234567", "company_id": 1}, "body.company_id"),
        ],
    )
    async def test_invalid_body_is_422(self, company_client, db, body, field):
        response = await company_client.post("/api/v1/phone-numbers", json=body)
        assert response.status_code == 422
        assert error_fields(response) == [field]
        assert await table_count(db, "phone_numbers") == 0

    async def test_another_companys_branch_is_422(self, company_client, db, other_tenant):
        response = await company_client.post(
            "/api/v1/phone-numbers",
            json={"number": "+49 30 1234567", "branch_id": other_tenant.branch_id},
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.branch_id"]
        assert await table_count(db, "phone_numbers") == 0

    async def test_duplicate_in_own_company_is_409(self, company_client, db, tenant):
        await factories.make_phone_number(db, tenant.company_id, number="+49301234567")
        response = await company_client.post(
            "/api/v1/phone-numbers", json={"number": "030 123 45 67"}
        )
        assert response.status_code == 409
        assert await table_count(db, "phone_numbers") == 1

    async def test_number_held_by_another_company_is_409_without_naming_it(
        self, company_client, db, other_tenant
    ):
        await factories.make_phone_number(db, other_tenant.company_id, number="+49301234567")
        response = await company_client.post(
            "/api/v1/phone-numbers", json={"number": "+49 30 1234567"}
        )
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        text = response.text
        assert "Salon Beta" not in text and "salon-beta" not in text
        assert f'"company_id":{other_tenant.company_id}' not in text.replace(" ", "")
        async with db() as session:
            owners = (await session.execute(select(PhoneNumber.company_id))).scalars().all()
        assert owners == [other_tenant.company_id]


class TestUpdateAndDelete:
    async def test_patch_changes_number_and_branch(self, company_client, db, tenant):
        number = await factories.make_phone_number(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/phone-numbers/{number.id}",
            json={"number": "089 1234567", "branch_id": tenant.branch_id},
        )
        assert response.status_code == 200, response.text
        assert response.json()["number"] == "+49891234567"
        row = await stored(db, number.id)
        assert (row.number, row.branch_id) == ("+49891234567", tenant.branch_id)

    async def test_patch_to_a_taken_number_is_409_and_nothing_changes(
        self, company_client, db, tenant, other_tenant
    ):
        await factories.make_phone_number(db, other_tenant.company_id, number="+49891234567")
        number = await factories.make_phone_number(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/phone-numbers/{number.id}",
            json={"number": "+49 89 1234567", "retell_agent_id": "agent_new"},
        )
        assert response.status_code == 409
        row = await stored(db, number.id)
        assert (row.number, row.retell_agent_id) == ("+49301234567", None)

    async def test_list_filters_by_branch(self, company_client, db, tenant):
        at_branch = await factories.make_phone_number(
            db, tenant.company_id, branch_id=tenant.branch_id
        )
        unassigned = await factories.make_phone_number(db, tenant.company_id, number="+4940123456")
        everything = (await company_client.get("/api/v1/phone-numbers")).json()
        assert [item["id"] for item in everything["items"]] == [at_branch.id, unassigned.id]
        by_branch = await company_client.get(f"/api/v1/phone-numbers?branch_id={tenant.branch_id}")
        assert [item["id"] for item in by_branch.json()["items"]] == [at_branch.id]

    async def test_delete_removes_the_row(self, company_client, db, tenant):
        number = await factories.make_phone_number(db, tenant.company_id)
        response = await company_client.delete(f"/api/v1/phone-numbers/{number.id}")
        assert response.status_code == 204
        assert await stored(db, number.id) is None
        again = await company_client.delete(f"/api/v1/phone-numbers/{number.id}")
        assert again.status_code == 404
