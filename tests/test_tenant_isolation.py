"""Tenant isolation: one company's key can neither see nor change another company's data.

Another company's id must answer exactly like an unknown id, so ids reveal nothing, and the
owner's rows must be untouched afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.models import Base
from app.tenancy.models import Staff, staff_services
from tests import factories

TENANT_TABLES = (
    "branches",
    "services",
    "staff",
    "working_hours",
    "time_off",
    "customers",
    "phone_numbers",
)
UNKNOWN_ID = 999_999


@dataclass(frozen=True)
class Seeded:
    company_id: int
    branch_id: int
    service_id: int
    staff_id: int
    time_off_id: int
    customer_id: int
    phone_number_id: int
    customer_phone: str


async def seed(db, tenant: factories.TenantFixture, *, phone_suffix: str) -> Seeded:
    service = await factories.make_service(db, tenant.company_id, branch_id=tenant.branch_id)
    staff = await factories.make_staff(db, tenant.company_id, tenant.branch_id, services=[service])
    time_off = await factories.make_time_off(
        db,
        tenant.company_id,
        staff.id,
        datetime(2026, 7, 1, 8, tzinfo=UTC),
        datetime(2026, 7, 1, 12, tzinfo=UTC),
    )
    customer = await factories.make_customer(
        db, tenant.company_id, phone=f"+491511234567{phone_suffix}"
    )
    number = await factories.make_phone_number(
        db, tenant.company_id, number=f"+4930123456{phone_suffix}", branch_id=tenant.branch_id
    )
    return Seeded(
        company_id=tenant.company_id,
        branch_id=tenant.branch_id,
        service_id=service.id,
        staff_id=staff.id,
        time_off_id=time_off.id,
        customer_id=customer.id,
        phone_number_id=number.id,
        customer_phone=customer.phone,
    )


@pytest.fixture
async def a(db, tenant) -> Seeded:
    return await seed(db, tenant, phone_suffix="1")


@pytest.fixture
async def b(db, other_tenant) -> Seeded:
    return await seed(db, other_tenant, phone_suffix="2")


UNKNOWN = Seeded(*(UNKNOWN_ID,) * 7, customer_phone="+4915199999999")


async def snapshot(db, company_id: int) -> dict[str, list[tuple]]:
    """Every tenancy row of one company, timestamps included."""
    async with db() as session:
        rows: dict[str, list[tuple]] = {}
        for name in TENANT_TABLES:
            table = Base.metadata.tables[name]
            result = await session.execute(
                select(table).where(table.c.company_id == company_id).order_by(table.c.id)
            )
            rows[name] = [tuple(row) for row in result]
        links = await session.execute(
            select(staff_services)
            .join(Staff, Staff.id == staff_services.c.staff_id)
            .where(Staff.company_id == company_id)
            .order_by(staff_services.c.staff_id, staff_services.c.service_id)
        )
        rows["staff_services"] = [tuple(row) for row in links]
        return rows


def problem_shape(response) -> dict:
    body = response.json()
    return {
        "status": response.status_code,
        "content_type": response.headers["content-type"],
        "type": body["type"],
        "title": body["title"],
        "detail": re.sub(r"\d+", "<id>", body["detail"]),
    }


TIME_OFF = {"starts_at": "2026-08-01T09:00:00", "ends_at": "2026-08-01T18:00:00"}

FOREIGN_RESOURCE_CASES = [
    ("GET", "/branches/{a.branch_id}", None),
    ("PATCH", "/branches/{a.branch_id}", {"name": "Taken over"}),
    ("DELETE", "/branches/{a.branch_id}", None),
    ("GET", "/services/{a.service_id}", None),
    ("PATCH", "/services/{a.service_id}", {"price": "1.00"}),
    ("DELETE", "/services/{a.service_id}", None),
    ("GET", "/staff/{a.staff_id}", None),
    ("PATCH", "/staff/{a.staff_id}", {"service_ids": []}),
    ("DELETE", "/staff/{a.staff_id}", None),
    ("GET", "/staff/{a.staff_id}/working-hours", None),
    ("PUT", "/staff/{a.staff_id}/working-hours", {"working_hours": []}),
    ("GET", "/staff/{a.staff_id}/time-off", None),
    ("POST", "/staff/{a.staff_id}/time-off", TIME_OFF),
    ("DELETE", "/staff/{a.staff_id}/time-off/{a.time_off_id}", None),
    ("DELETE", "/staff/{b.staff_id}/time-off/{a.time_off_id}", None),
    ("GET", "/customers/{a.customer_id}", None),
    ("PATCH", "/customers/{a.customer_id}", {"name": "Someone else"}),
    ("DELETE", "/customers/{a.customer_id}", None),
    ("GET", "/phone-numbers/{a.phone_number_id}", None),
    ("PATCH", "/phone-numbers/{a.phone_number_id}", {"retell_agent_id": "agent_b"}),
    ("DELETE", "/phone-numbers/{a.phone_number_id}", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    FOREIGN_RESOURCE_CASES,
    ids=[f"{method} {path}" for method, path, _ in FOREIGN_RESOURCE_CASES],
)
async def test_other_companys_resource_is_404_like_an_unknown_id(
    other_client, db, a, b, method, path, body
):
    before = await snapshot(db, a.company_id)

    foreign = await other_client.request(method, "/api/v1" + path.format(a=a, b=b), json=body)
    unknown = await other_client.request(method, "/api/v1" + path.format(a=UNKNOWN, b=b), json=body)

    assert foreign.status_code == 404, foreign.text
    assert problem_shape(foreign) == problem_shape(unknown)
    assert await snapshot(db, a.company_id) == before


FOREIGN_REFERENCE_CASES = [
    ("POST", "/services", {"name": "X", "duration_minutes": 30, "branch_id": "{a.branch_id}"}),
    ("PATCH", "/services/{b.service_id}", {"branch_id": "{a.branch_id}"}),
    ("POST", "/staff", {"name": "X", "branch_id": "{a.branch_id}"}),
    (
        "POST",
        "/staff",
        {"name": "X", "branch_id": "{b.branch_id}", "service_ids": ["{a.service_id}"]},
    ),
    ("PATCH", "/staff/{b.staff_id}", {"service_ids": ["{b.service_id}", "{a.service_id}"]}),
    ("PATCH", "/staff/{b.staff_id}", {"branch_id": "{a.branch_id}"}),
    ("POST", "/phone-numbers", {"number": "+49 40 1234567", "branch_id": "{a.branch_id}"}),
    ("PATCH", "/phone-numbers/{b.phone_number_id}", {"branch_id": "{a.branch_id}"}),
]


def fill(value, **seeded):
    if isinstance(value, str):
        return int(value.format(**seeded)) if value.startswith("{") else value
    if isinstance(value, list):
        return [fill(item, **seeded) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, **seeded) for key, item in value.items()}
    return value


@pytest.mark.parametrize(
    ("method", "path", "body"),
    FOREIGN_REFERENCE_CASES,
    ids=[f"{method} {path} {sorted(body)}" for method, path, body in FOREIGN_REFERENCE_CASES],
)
async def test_other_companys_ids_in_a_body_are_refused_like_unknown_ones(
    other_client, db, a, b, method, path, body
):
    before = {company.company_id: await snapshot(db, company.company_id) for company in (a, b)}
    url = "/api/v1" + path.format(b=b)

    foreign = await other_client.request(method, url, json=fill(body, a=a, b=b))
    unknown = await other_client.request(method, url, json=fill(body, a=UNKNOWN, b=b))

    assert foreign.status_code == 422, foreign.text
    assert problem_shape(foreign) == problem_shape(unknown)
    assert [e["field"] for e in foreign.json()["errors"]] == [
        e["field"] for e in unknown.json()["errors"]
    ]
    for company_id, rows in before.items():
        assert await snapshot(db, company_id) == rows


LISTS = [
    "/branches",
    "/services",
    "/staff",
    "/customers",
    "/phone-numbers",
    "/services?branch_id={other.branch_id}",
    "/staff?service_id={other.service_id}",
    "/staff?branch_id={other.branch_id}",
    "/phone-numbers?branch_id={other.branch_id}",
    "/customers?phone={other.customer_phone}",
]


@pytest.mark.parametrize("path", LISTS)
async def test_lists_only_show_the_callers_rows(company_client, other_client, a, b, path):
    for client, own, other in ((company_client, a, b), (other_client, b, a)):
        response = await client.get("/api/v1" + path.format(other=other).replace("+", "%2B"))
        assert response.status_code == 200, response.text
        page = response.json()
        assert {item["company_id"] for item in page["items"]} <= {own.company_id}
        assert page["total"] == len(page["items"])
        if "?" in path:
            assert page["items"] == [], "filtering by another company's id finds nothing"
        else:
            assert len(page["items"]) == 1


async def test_time_off_and_working_hours_lists_are_per_company(company_client, other_client, a, b):
    own = await other_client.get(f"/api/v1/staff/{b.staff_id}/time-off")
    assert [item["id"] for item in own.json()["items"]] == [b.time_off_id]
    filtered = await other_client.get(f"/api/v1/staff/{b.staff_id}/time-off?from=2026-01-01")
    assert filtered.json()["total"] == 1
    hours = await company_client.get(f"/api/v1/staff/{a.staff_id}/working-hours")
    assert len(hours.json()["working_hours"]) == 6
