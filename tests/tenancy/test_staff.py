"""Staff: CRUD, the services each member may perform, filters and deactivation."""

from sqlalchemy import select

from app.tenancy.models import Staff, staff_services
from tests import factories
from tests.conftest import table_count


async def stored(db, staff_id: int) -> tuple[Staff, list[int]]:
    async with db() as session:
        staff = await session.get(Staff, staff_id)
        rows = await session.execute(
            select(staff_services.c.service_id)
            .where(staff_services.c.staff_id == staff_id)
            .order_by(staff_services.c.service_id)
        )
        return staff, list(rows.scalars())


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


class TestCreateStaff:
    async def test_staff_is_created_with_their_services(self, company_client, db, tenant):
        cut = await factories.make_service(db, tenant.company_id)
        colour = await factories.make_colour_service(db, tenant.company_id)
        response = await company_client.post(
            "/api/v1/staff",
            json={
                "name": "Anna",
                "branch_id": tenant.branch_id,
                "email": "anna@example.com",
                "service_ids": [colour.id, cut.id, colour.id],
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["service_ids"] == sorted([cut.id, colour.id])
        assert (body["name"], body["branch_id"], body["is_active"]) == (
            "Anna",
            tenant.branch_id,
            True,
        )
        staff, service_ids = await stored(db, body["id"])
        assert staff.company_id == tenant.company_id
        assert staff.email == "anna@example.com"
        assert service_ids == sorted([cut.id, colour.id])

    async def test_another_companys_service_is_422_and_nothing_is_stored(
        self, company_client, db, tenant, other_tenant
    ):
        own = await factories.make_service(db, tenant.company_id)
        foreign = await factories.make_service(db, other_tenant.company_id)
        response = await company_client.post(
            "/api/v1/staff",
            json={
                "name": "Anna",
                "branch_id": tenant.branch_id,
                "service_ids": [own.id, foreign.id],
            },
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.service_ids"]
        assert str(foreign.id) in response.json()["errors"][0]["reason"]
        assert await table_count(db, "staff") == 0
        assert await table_count(db, "staff_services") == 0

    async def test_unknown_service_is_422(self, company_client, db, tenant):
        response = await company_client.post(
            "/api/v1/staff",
            json={"name": "Anna", "branch_id": tenant.branch_id, "service_ids": [999999]},
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.service_ids"]
        assert await table_count(db, "staff") == 0

    async def test_another_companys_branch_is_422(self, company_client, db, other_tenant):
        response = await company_client.post(
            "/api/v1/staff", json={"name": "Anna", "branch_id": other_tenant.branch_id}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.branch_id"]
        assert await table_count(db, "staff") == 0

    async def test_branch_is_required_and_email_checked(self, company_client, db, tenant):
        missing_branch = await company_client.post("/api/v1/staff", json={"name": "Anna"})
        assert error_fields(missing_branch) == ["body.branch_id"]
        bad_email = await company_client.post(
            "/api/v1/staff",
            json={"name": "Anna", "branch_id": tenant.branch_id, "email": "not-an-email"},
        )
        assert error_fields(bad_email) == ["body.email"]
        assert await table_count(db, "staff") == 0

    async def test_addresses_no_mail_server_would_take_are_refused(
        self, company_client, db, tenant
    ):
        # Each has an @ and a dot after it; a pattern check let them through.
        for address in ("anna..k@salon.de", "anna@salon..de", "anna@-salon.de", "anna@salon.de-"):
            response = await company_client.post(
                "/api/v1/staff",
                json={"name": "Anna", "branch_id": tenant.branch_id, "email": address},
            )
            assert error_fields(response) == ["body.email"], address
        assert await table_count(db, "staff") == 0


class TestUpdateStaff:
    async def test_service_ids_replace_the_whole_set(self, company_client, db, tenant):
        cut = await factories.make_service(db, tenant.company_id)
        colour = await factories.make_colour_service(db, tenant.company_id)
        staff = await factories.make_staff(db, tenant.company_id, tenant.branch_id, services=[cut])
        response = await company_client.patch(
            f"/api/v1/staff/{staff.id}", json={"service_ids": [colour.id]}
        )
        assert response.status_code == 200, response.text
        assert response.json()["service_ids"] == [colour.id]
        assert (await stored(db, staff.id))[1] == [colour.id]

    async def test_patch_without_service_ids_keeps_them(self, company_client, db, tenant):
        cut = await factories.make_service(db, tenant.company_id)
        staff = await factories.make_staff(db, tenant.company_id, tenant.branch_id, services=[cut])
        response = await company_client.patch(
            f"/api/v1/staff/{staff.id}", json={"name": "Anna-Lena", "calcom_user_id": 42}
        )
        assert response.status_code == 200, response.text
        assert response.json()["service_ids"] == [cut.id]
        row, service_ids = await stored(db, staff.id)
        assert (row.name, row.calcom_user_id, service_ids) == ("Anna-Lena", 42, [cut.id])

    async def test_moving_to_another_companys_branch_or_service_is_refused(
        self, company_client, db, tenant, other_tenant
    ):
        cut = await factories.make_service(db, tenant.company_id)
        foreign = await factories.make_service(db, other_tenant.company_id)
        staff = await factories.make_staff(db, tenant.company_id, tenant.branch_id, services=[cut])
        url = f"/api/v1/staff/{staff.id}"
        moved = await company_client.patch(url, json={"branch_id": other_tenant.branch_id})
        assert error_fields(moved) == ["body.branch_id"]
        requalified = await company_client.patch(url, json={"service_ids": [foreign.id]})
        assert error_fields(requalified) == ["body.service_ids"]
        row, service_ids = await stored(db, staff.id)
        assert (row.branch_id, service_ids) == (tenant.branch_id, [cut.id])

    async def test_null_name_is_422(self, company_client, db, tenant):
        staff = await factories.make_staff(db, tenant.company_id, tenant.branch_id)
        response = await company_client.patch(f"/api/v1/staff/{staff.id}", json={"name": None})
        assert error_fields(response) == ["body.name"]


class TestListAndDeactivate:
    async def test_filters(self, company_client, db, tenant):
        second_branch = await factories.make_branch(db, tenant.company_id, name="Nord")
        cut = await factories.make_service(db, tenant.company_id)
        colour = await factories.make_colour_service(db, tenant.company_id)
        anna = await factories.make_staff(
            db, tenant.company_id, tenant.branch_id, services=[cut, colour]
        )
        ben = await factories.make_staff(
            db, tenant.company_id, second_branch.id, services=[cut], name="Ben"
        )
        cleo = await factories.make_staff(
            db, tenant.company_id, tenant.branch_id, name="Cleo", is_active=False
        )

        async def ids(query: str = "") -> list[int]:
            response = await company_client.get(f"/api/v1/staff{query}")
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert await ids() == [anna.id, ben.id, cleo.id]
        assert await ids(f"?branch_id={tenant.branch_id}") == [anna.id, cleo.id]
        assert await ids(f"?service_id={cut.id}") == [anna.id, ben.id]
        assert await ids(f"?service_id={colour.id}&branch_id={tenant.branch_id}") == [anna.id]
        assert await ids("?is_active=false") == [cleo.id]
        listed = (await company_client.get("/api/v1/staff?limit=1")).json()
        assert listed["total"] == 3
        assert listed["items"][0]["service_ids"] == sorted([cut.id, colour.id])

    async def test_delete_deactivates(self, company_client, db, tenant):
        cut = await factories.make_service(db, tenant.company_id)
        staff = await factories.make_staff(db, tenant.company_id, tenant.branch_id, services=[cut])
        response = await company_client.delete(f"/api/v1/staff/{staff.id}")
        assert response.status_code == 204
        row, service_ids = await stored(db, staff.id)
        assert row.is_active is False
        assert service_ids == [cut.id]
        fetched = await company_client.get(f"/api/v1/staff/{staff.id}")
        assert fetched.json()["is_active"] is False

    async def test_unknown_staff_is_404(self, company_client):
        for method in ("GET", "PATCH", "DELETE"):
            response = await company_client.request(method, "/api/v1/staff/999999", json={})
            assert response.status_code == 404, method
