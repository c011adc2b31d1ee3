"""Customers: E.164 phones in the company's region, one customer per phone and company."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.scheduling.models import Appointment
from app.tenancy.models import Customer
from tests import factories
from tests.conftest import make_client, table_count


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


async def stored(db, customer_id: int) -> Customer | None:
    async with db() as session:
        return await session.get(Customer, customer_id)


async def book(db, tenant, customer_id: int) -> None:
    service = await factories.make_service(db, tenant.company_id)
    staff = await factories.make_staff(db, tenant.company_id, tenant.branch_id)
    starts_at = datetime(2026, 7, 1, 8, tzinfo=UTC)
    async with db() as session:
        session.add(
            Appointment(
                company_id=tenant.company_id,
                branch_id=tenant.branch_id,
                service_id=service.id,
                staff_id=staff.id,
                customer_id=customer_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=30),
            )
        )
        await session.commit()


class TestCreateCustomer:
    async def test_national_number_is_stored_in_e164(self, company_client, db, tenant):
        response = await company_client.post(
            "/api/v1/customers",
            json={
                "name": "Max Mustermann",
                "phone": "0151 123 456 78",
                "email": "max@example.com",
                "language": "de",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["phone"] == "+4915112345678"
        assert (body["name"], body["email"], body["language"]) == (
            "Max Mustermann",
            "max@example.com",
            "de",
        )
        row = await stored(db, body["id"])
        assert (row.company_id, row.phone) == (tenant.company_id, "+4915112345678")

    async def test_national_number_is_read_in_the_companys_region(self, app, db):
        vienna = await factories.make_tenant(db, name="Salon Wien", settings={"phone_region": "AT"})
        async with make_client(app, vienna.api_key) as client:
            response = await client.post(
                "/api/v1/customers", json={"name": "Sepp", "phone": "0664 1234567"}
            )
        assert response.status_code == 201, response.text
        assert response.json()["phone"] == "+436641234567"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "Max", "phone": "12"}, "body.phone"),
            ({"name": "Max", "phone": "not a number"}, "body.phone"),
            ({"name": "Max", "phone": "+49 1"}, "body.phone"),
            ({"name": "", "phone": "0151 12345678"}, "body.name"),
            ({"name": "Max", "phone": "0151 12345678", "language": "fr"}, "body.language"),
            ({"name": "Max", "phone": "0151 12345678", "email": "max@"}, "body.email"),
        ],
    )
    async def test_invalid_customer_is_422_and_not_stored(self, company_client, db, body, field):
        response = await company_client.post("/api/v1/customers", json=body)
        assert response.status_code == 422, response.text
        assert error_fields(response) == [field]
        assert await table_count(db, "customers") == 0

    async def test_same_phone_in_another_format_is_409(self, company_client, db, tenant):
        await factories.make_customer(db, tenant.company_id, phone="+4915112345678")
        response = await company_client.post(
            "/api/v1/customers", json={"name": "Maxi", "phone": "+49 (151) 1234-5678"}
        )
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert await table_count(db, "customers") == 1

    async def test_same_phone_in_two_companies_is_fine(
        self, company_client, other_client, db, tenant, other_tenant
    ):
        body = {"name": "Max", "phone": "0151 12345678"}
        assert (await company_client.post("/api/v1/customers", json=body)).status_code == 201
        assert (await other_client.post("/api/v1/customers", json=body)).status_code == 201
        async with db() as session:
            owners = (
                await session.execute(select(Customer.company_id).order_by(Customer.company_id))
            ).scalars()
            assert list(owners) == sorted([tenant.company_id, other_tenant.company_id])


class TestUpdateCustomer:
    async def test_patch_normalises_the_new_phone(self, company_client, db, tenant):
        customer = await factories.make_customer(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/customers/{customer.id}", json={"phone": "030 1234567", "notes": "VIP"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["phone"] == "+49301234567"
        row = await stored(db, customer.id)
        assert (row.phone, row.notes, row.name) == ("+49301234567", "VIP", "Max Mustermann")

    async def test_phone_of_another_customer_is_409_and_nothing_changes(
        self, company_client, db, tenant
    ):
        await factories.make_customer(db, tenant.company_id, phone="+4915112345678")
        other = await factories.make_customer(db, tenant.company_id, phone="+4915199999999")
        response = await company_client.patch(
            f"/api/v1/customers/{other.id}", json={"phone": "015112345678", "name": "Renamed"}
        )
        assert response.status_code == 409
        row = await stored(db, other.id)
        assert (row.phone, row.name) == ("+4915199999999", "Max Mustermann")

    async def test_null_phone_is_422(self, company_client, db, tenant):
        customer = await factories.make_customer(db, tenant.company_id)
        response = await company_client.patch(
            f"/api/v1/customers/{customer.id}", json={"phone": None}
        )
        assert response.status_code == 422
        assert error_fields(response) == ["body.phone"]


class TestListCustomers:
    @pytest.fixture
    async def customers(self, db, tenant):
        return [
            await factories.make_customer(db, tenant.company_id, name=name, phone=phone)
            for name, phone in [
                ("Anna Schmidt", "+4915111111111"),
                ("Jan Schmidtke", "+4915122222222"),
                ("Lena 100% Meyer", "+4915133333333"),
            ]
        ]

    async def ids(self, client, query: str) -> list[int]:
        response = await client.get(f"/api/v1/customers{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    async def test_phone_filter_matches_any_format(self, company_client, customers):
        anna, jan, _ = customers
        assert await self.ids(company_client, "?phone=0151%202222%202222") == [jan.id]
        assert await self.ids(company_client, "?phone=%2B4915111111111") == [anna.id]
        assert await self.ids(company_client, "?phone=0151%209999%209999") == []

    async def test_invalid_phone_filter_is_422(self, company_client, customers):
        response = await company_client.get("/api/v1/customers?phone=abc")
        assert response.status_code == 422
        assert error_fields(response) == ["query.phone"]

    async def test_name_search_ignores_case_and_wildcards(self, company_client, customers):
        anna, jan, lena = customers
        assert await self.ids(company_client, "?q=SCHMIDT") == [anna.id, jan.id]
        assert await self.ids(company_client, "?q=schmidtk") == [jan.id]
        assert await self.ids(company_client, "?q=%25") == [lena.id]
        assert await self.ids(company_client, "?q=_") == []

    async def test_pagination(self, company_client, customers):
        page = (await company_client.get("/api/v1/customers?limit=2&offset=1")).json()
        assert [item["id"] for item in page["items"]] == [customers[1].id, customers[2].id]
        assert page["total"] == 3


class TestDeleteCustomer:
    async def test_customer_without_appointments_is_deleted(self, company_client, db, tenant):
        customer = await factories.make_customer(db, tenant.company_id)
        response = await company_client.delete(f"/api/v1/customers/{customer.id}")
        assert response.status_code == 204
        assert await stored(db, customer.id) is None
        assert (await company_client.get(f"/api/v1/customers/{customer.id}")).status_code == 404

    async def test_customer_with_appointments_is_409_and_kept(self, company_client, db, tenant):
        customer = await factories.make_customer(db, tenant.company_id)
        await book(db, tenant, customer.id)
        response = await company_client.delete(f"/api/v1/customers/{customer.id}")
        assert response.status_code == 409
        assert response.json()["type"].endswith("/in-use")
        assert await stored(db, customer.id) is not None
