"""Taking a callback request: SLA per priority and per company, the phone, the branch and
the ids of the body, the preferred time window, and the listeners."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.callbacks.conftest import PHONE, ask, created, moment, stored
from tests.conftest import table_count
from tests.salon import NOW

DEFAULT_SLA = {"urgent": 60, "high": 240, "normal": 1440}


@pytest.mark.parametrize("priority", ["urgent", "high", "normal"])
async def test_a_new_request_is_pending_and_due_after_the_default_sla_of_its_priority(
    company_client, clock, tenant, priority
):
    body = await created(company_client, phone="0151 12345678", priority=priority)

    assert body["status"] == "pending"
    assert body["priority"] == priority
    assert body["merged"] is False
    assert body["overdue"] is False
    assert body["phone"] == PHONE  # E.164 in the company's region (DE)
    assert body["branch_id"] == tenant.branch_id  # the company's only branch
    assert body["attempts"] == 0
    assert body["escalations"] == []
    assert moment(body["created_at"]) == NOW
    assert moment(body["expires_at"]) == NOW + timedelta(minutes=DEFAULT_SLA[priority])


async def test_priority_defaults_to_normal(company_client, clock):
    body = await created(company_client)
    assert body["priority"] == "normal"
    assert moment(body["expires_at"]) == NOW + timedelta(days=1)


async def test_a_companys_sla_replaces_the_defaults_it_sets_and_only_for_itself(
    company_client, other_client, clock
):
    patch = {"settings": {"callback_sla_minutes": {"urgent": 15, "normal": 600}}}
    response = await company_client.patch("/api/v1/company", json=patch)
    assert response.status_code == 200, response.text

    expected = {"urgent": 15, "high": 240, "normal": 600}  # high keeps its default
    for priority, minutes in expected.items():
        body = await created(company_client, phone=f"+4915112345{minutes:03d}", priority=priority)
        assert moment(body["expires_at"]) == NOW + timedelta(minutes=minutes), priority
    other = await created(other_client, priority="urgent")
    assert moment(other["expires_at"]) == NOW + timedelta(minutes=60)


@pytest.mark.parametrize("value", [0, -5, "soon", 60 * 24 * 31])
async def test_an_sla_outside_1_minute_to_30_days_is_refused_on_patch(company_client, value):
    patch = {"settings": {"callback_sla_minutes": {"high": value}}}
    response = await company_client.patch("/api/v1/company", json=patch)
    assert response.status_code == 422, response.text
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(field.endswith("callback_sla_minutes.high") for field in fields), fields


@pytest.mark.parametrize("phone", ["12", "not a phone", "+49 0000", "0151"])
async def test_an_invalid_phone_is_422_naming_phone(company_client, clock, db, phone):
    response = await ask(company_client, phone=phone)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["body.phone"]
    assert await table_count(db, "callback_requests") == 0


async def test_a_missing_phone_is_422_naming_phone(company_client):
    response = await company_client.post("/api/v1/callbacks", json={"priority": "high"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.phone"]


async def test_national_numbers_are_read_in_the_companys_region(company_client, clock):
    await company_client.patch("/api/v1/company", json={"settings": {"phone_region": "AT"}})
    body = await created(company_client, phone="0664 1234567")
    assert body["phone"] == "+436641234567"


async def test_the_branch_defaults_to_the_preferred_staff_members(
    company_client, clock, db, tenant
):
    north = await factories.make_branch(db, tenant.company_id, name="Nord")
    zoe = await factories.make_staff(db, tenant.company_id, north.id, name="Zoe")
    body = await created(company_client, staff_id=zoe.id)
    assert (body["branch_id"], body["staff_id"]) == (north.id, zoe.id)


async def test_without_branch_or_staff_the_first_active_branch_is_used(
    company_client, clock, db, tenant
):
    north = await factories.make_branch(db, tenant.company_id, name="Nord")
    south = await factories.make_branch(db, tenant.company_id, name="Süd")
    response = await company_client.delete(f"/api/v1/branches/{tenant.branch_id}")
    assert response.status_code == 204
    body = await created(company_client)
    assert body["branch_id"] == min(north.id, south.id)


async def test_a_company_without_an_active_branch_is_422_naming_branch_id(
    company_client, clock, tenant
):
    await company_client.delete(f"/api/v1/branches/{tenant.branch_id}")
    response = await ask(company_client)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.branch_id"
    # An explicit branch, even an inactive one, is taken as asked.
    assert (await ask(company_client, branch_id=tenant.branch_id)).status_code == 201


@pytest.mark.parametrize("field", ["branch_id", "staff_id", "service_id", "customer_id"])
async def test_another_companys_id_in_the_body_is_422_like_an_unknown_one(
    company_client, clock, db, salon, other_tenant, field
):
    theirs = {
        "branch_id": other_tenant.branch_id,
        "staff_id": (
            await factories.make_staff(db, other_tenant.company_id, other_tenant.branch_id)
        ).id,
        "service_id": (await factories.make_service(db, other_tenant.company_id)).id,
        "customer_id": (await factories.make_customer(db, other_tenant.company_id)).id,
    }
    foreign = await ask(company_client, **{field: theirs[field]})
    unknown = await ask(company_client, **{field: 999_999})

    for response in (foreign, unknown):
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [f"body.{field}"]
    assert foreign.json()["detail"].replace(str(theirs[field]), "N") == unknown.json()[
        "detail"
    ].replace("999999", "N")
    assert await table_count(db, "callback_requests") == 0


async def test_staff_or_a_service_of_another_branch_is_422(company_client, clock, db, salon):
    north = await factories.make_branch(db, salon.company_id, name="Nord")
    zoe = await factories.make_staff(db, salon.company_id, north.id, name="Zoe")
    nails = await factories.make_service(db, salon.company_id, name="Nails", branch_id=north.id)

    staff = await ask(company_client, branch_id=salon.branch_id, staff_id=zoe.id)
    assert staff.status_code == 422
    assert staff.json()["errors"][0]["field"] == "body.staff_id"
    service = await ask(company_client, staff_id=salon.anna_id, service_id=nails.id)
    assert service.status_code == 422
    assert service.json()["errors"][0]["field"] == "body.service_id"
    # A company-wide service and one of the branch are fine.
    ok = await ask(company_client, branch_id=north.id, staff_id=zoe.id, service_id=nails.id)
    assert ok.status_code == 201, ok.text


async def test_a_known_caller_is_linked_to_their_customer_by_phone(
    company_client, clock, db, tenant
):
    customer = await factories.make_customer(db, tenant.company_id, name="Max", phone=PHONE)
    body = await created(company_client, phone="0151 12345678")
    assert (body["customer_id"], body["customer_name"]) == (customer.id, "Max")
    named = await created(company_client, phone="+4917012345678", customer_name="Erika")
    assert (named["customer_id"], named["customer_name"]) == (None, "Erika")


async def test_reason_and_notes_are_kept_in_notes(company_client, clock):
    body = await created(company_client, reason="Wants a colour", notes="Prefers Anna")
    assert body["notes"] == "Wants a colour\nPrefers Anna"


async def test_a_naive_time_window_is_read_in_the_branchs_zone(company_client, clock, db, tenant):
    window = {"from": "2026-12-01T14:00:00", "to": "2026-12-01T17:00:00"}
    berlin = await created(company_client, preferred_time_window=window)
    assert berlin["preferred_time_window"] == {
        "from": "2026-12-01T13:00:00Z",
        "to": "2026-12-01T16:00:00Z",
    }
    london = await factories.make_branch(db, tenant.company_id, timezone="Europe/London")
    there = await created(
        company_client, phone="+4917012345678", branch_id=london.id, preferred_time_window=window
    )
    assert moment(there["preferred_time_window"]["from"]) == moment("2026-12-01T14:00:00+00:00")
    aware = {"from": "2026-12-01T14:00:00+05:00", "to": "2026-12-01T15:00:00+05:00"}
    third = await created(company_client, phone="+4917012345679", preferred_time_window=aware)
    assert moment(third["preferred_time_window"]["to"]) == moment("2026-12-01T10:00:00+00:00")


@pytest.mark.parametrize(
    "window",
    [
        {"from": "2026-12-01T17:00:00", "to": "2026-12-01T14:00:00"},
        {"from": "2026-12-01T14:00:00", "to": "2026-12-01T14:00:00"},
        # 14:00 in Berlin is 13:00 UTC; 14:30 at +03:00 is 11:30 UTC: after only on paper.
        {"from": "2026-12-01T14:00:00", "to": "2026-12-01T14:30:00+03:00"},
    ],
)
async def test_a_window_that_does_not_end_after_it_starts_is_422(company_client, clock, window):
    response = await ask(company_client, preferred_time_window=window)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.preferred_time_window.to"


async def test_the_listeners_hear_of_a_new_request_but_not_of_a_merge(
    company_client, clock, listener
):
    first = await created(company_client, reason="first")
    merged = await ask(company_client, reason="again")
    assert merged.status_code == 200
    other = await created(company_client, phone="+4917012345678")

    assert listener.calls == [
        (first["id"], "callback_request_received"),
        (other["id"], "callback_request_received"),
    ]


async def test_a_listener_that_fails_rolls_the_request_back(app, company_client, clock, db):
    class Broken:
        async def __call__(self, session, callback, event):
            raise RuntimeError("outbox down")

    app.state.callback_listeners = [Broken()]
    response = await ask(company_client)
    assert response.status_code == 500
    assert await table_count(db, "callback_requests") == 0


async def test_the_request_is_stored_as_answered(company_client, clock, db):
    body = await created(company_client, priority="high", reason="why")
    row = await stored(db, body["id"])
    assert (row.status, row.priority, row.phone, row.notes) == ("pending", "high", PHONE, "why")
    assert row.expires_at == NOW + timedelta(hours=4)
