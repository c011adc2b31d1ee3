"""Branches: CRUD through the API, filters, and the fields a PATCH may not null."""

from app.tenancy.models import Branch
from tests import factories
from tests.conftest import table_count


async def stored(db, branch_id: int) -> Branch:
    async with db() as session:
        return await session.get(Branch, branch_id)


class TestBranches:
    async def test_create_normalises_the_phone(self, company_client, db, tenant):
        response = await company_client.post(
            "/api/v1/branches", json={"name": "Nord", "phone": "030 1234567"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["phone"] == "+49301234567"
        row = await stored(db, response.json()["id"])
        assert (row.company_id, row.phone) == (tenant.company_id, "+49301234567")

    async def test_invalid_phone_is_422_naming_the_body_field(self, company_client, db):
        response = await company_client.post(
            "/api/v1/branches", json={"name": "Nord", "phone": "nope"}
        )
        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["body.phone"]
        assert await table_count(db, "branches") == 1, "only the tenant's own branch"

    async def test_list_filters_by_is_active(self, company_client, db, tenant):
        closed = await factories.make_branch(db, tenant.company_id, is_active=False)
        response = await company_client.get("/api/v1/branches?is_active=false&limit=10")
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [closed.id]

    async def test_null_name_is_422_and_nothing_changes(self, company_client, db, tenant):
        response = await company_client.patch(
            f"/api/v1/branches/{tenant.branch_id}", json={"name": None}
        )
        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["body.name"]
        assert (await stored(db, tenant.branch_id)).name == "Salon Alpha Mitte"

    async def test_delete_deactivates(self, company_client, db, tenant):
        response = await company_client.delete(f"/api/v1/branches/{tenant.branch_id}")
        assert response.status_code == 204
        assert (await stored(db, tenant.branch_id)).is_active is False
