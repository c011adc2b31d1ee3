"""A second request for the same phone within 30 minutes of an open one is merged into it;
not after, not into a closed one, never across companies (and not twice at once)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.callbacks.conftest import PHONE, ask, created, moment, stored
from tests.conftest import MYSQL_URL, table_count
from tests.salon import NOW


@pytest.mark.parametrize("minutes", [0, 29, 30])
async def test_a_request_within_30_minutes_is_merged_into_the_open_one(
    company_client, clock, db, minutes
):
    first = await created(company_client, reason="Wants a colour", priority="normal")
    clock.advance(minutes=minutes)

    response = await ask(company_client, phone="0151 12345678", reason="Called again")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == first["id"]
    assert body["merged"] is True
    assert body["status"] == "pending"
    assert body["notes"] == "Wants a colour\nCalled again"
    assert moment(body["created_at"]) == NOW
    assert await table_count(db, "callback_requests") == 1


@pytest.mark.parametrize("minutes", [31, 24 * 60])
async def test_a_request_after_30_minutes_is_a_new_one(company_client, clock, db, minutes):
    first = await created(company_client)
    clock.advance(minutes=minutes)
    second = await created(company_client)
    assert second["id"] != first["id"]
    assert second["merged"] is False
    assert await table_count(db, "callback_requests") == 2


async def test_a_merge_raises_the_priority_and_recomputes_the_deadline_from_creation(
    company_client, clock
):
    first = await created(company_client, priority="normal")
    clock.advance(minutes=20)

    merged = (await ask(company_client, priority="urgent")).json()

    assert merged["id"] == first["id"]
    assert merged["priority"] == "urgent"
    assert moment(merged["expires_at"]) == NOW + timedelta(minutes=60)  # not now + 60


async def test_a_merge_never_lowers_the_priority(company_client, clock):
    first = await created(company_client, priority="high")
    merged = (await ask(company_client, priority="normal")).json()
    assert merged["priority"] == "high"
    assert merged["expires_at"] == first["expires_at"]


async def test_a_merge_uses_the_companys_sla(company_client, clock):
    patch = {"settings": {"callback_sla_minutes": {"high": 90}}}
    assert (await company_client.patch("/api/v1/company", json=patch)).status_code == 200
    await created(company_client)
    clock.advance(minutes=10)
    merged = (await ask(company_client, priority="high")).json()
    assert moment(merged["expires_at"]) == NOW + timedelta(minutes=90)


async def test_a_merge_fills_what_the_open_request_lacks_and_keeps_what_it_has(
    company_client, clock, salon
):
    await created(company_client, customer_name="Erika")
    merged = (
        await ask(
            company_client,
            customer_name="Someone else",
            staff_id=salon.anna_id,
            service_id=salon.colour_id,
        )
    ).json()
    assert merged["customer_name"] == "Erika"
    assert (merged["staff_id"], merged["service_id"]) == (salon.anna_id, salon.colour_id)


async def test_an_assigned_request_is_merged_into_too(company_client, clock, salon):
    first = await created(company_client)
    await company_client.post(
        f"/api/v1/callbacks/{first['id']}/assign", json={"staff_id": salon.ben_id}
    )
    merged = (await ask(company_client, reason="still waiting")).json()
    assert merged["id"] == first["id"]
    assert (merged["status"], merged["assigned_to"], merged["merged"]) == (
        "assigned",
        salon.ben_id,
        True,
    )


@pytest.mark.parametrize(
    ("action", "body"),
    [("contacted", {}), ("complete", {}), ("cancel", {})],
)
async def test_a_contacted_or_closed_request_is_not_merged_into(
    company_client, clock, db, action, body
):
    first = await created(company_client)
    response = await company_client.post(f"/api/v1/callbacks/{first['id']}/{action}", json=body)
    assert response.status_code == 200, response.text

    second = await created(company_client, reason="new")
    assert second["id"] != first["id"]
    assert (await stored(db, first["id"])).notes is None


async def test_another_companys_request_for_the_same_phone_is_never_touched(
    company_client, other_client, clock, db
):
    ours = await created(company_client, reason="ours", priority="normal")
    before = await stored(db, ours["id"])
    clock.advance(minutes=5)

    theirs = await ask(other_client, reason="theirs", priority="urgent")

    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != ours["id"]
    assert theirs.json()["merged"] is False
    after = await stored(db, ours["id"])
    assert (after.priority, after.notes, after.expires_at, after.updated_at) == (
        before.priority,
        before.notes,
        before.expires_at,
        before.updated_at,
    )
    # ... and their next request merges into theirs, not ours.
    again = (await ask(other_client, reason="again")).json()
    assert again["id"] == theirs.json()["id"]


CONCURRENT = 10 if MYSQL_URL else 5


@pytest.mark.committed
async def test_concurrent_requests_for_one_phone_make_one_request(company_client, clock, db):
    """The company row serialises them (SQLite: the write lock): one 201, the rest merged."""
    # Warm the key cache and the connection pool, so that every request starts at once.
    await asyncio.gather(*(company_client.get("/api/v1/callbacks") for _ in range(CONCURRENT)))
    responses = await asyncio.gather(
        *(ask(company_client, reason=f"call {i}") for i in range(CONCURRENT))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (CONCURRENT - 1) + [201], [r.text for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert await table_count(db, "callback_requests") == 1
    notes = (await stored(db, responses[0].json()["id"])).notes or ""
    assert sorted(notes.split("\n")) == sorted(f"call {i}" for i in range(CONCURRENT))


async def test_the_phone_is_compared_in_e164(company_client, clock):
    first = await created(company_client, phone="+49 151 1234 5678")
    assert first["phone"] == PHONE
    merged = (await ask(company_client, phone="0049151-12345678")).json()
    assert merged["id"] == first["id"]
