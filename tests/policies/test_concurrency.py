"""Concurrent cancellations by one customer: no count is lost and the quota holds, on SQLite
and on MariaDB (where the customer row lock does the serialising)."""

import asyncio

import pytest

from tests.conftest import MYSQL_URL
from tests.policies.helpers import book, modifications, set_policy, stats
from tests.salon import local

# Each request is its own session and connection; MariaDB runs them truly in parallel.
APPOINTMENTS = 8 if MYSQL_URL else 5
pytestmark = pytest.mark.committed


async def book_many(client, salon, count):
    hours = [(day, hour) for day in (3, 4) for hour in range(9, 17)]
    return [
        await book(client, salon, local(day, hour), staff=salon.anna_id)
        for day, hour in hours[:count]
    ]


async def cancel_all(client, appointments):
    return await asyncio.gather(
        *(client.post(f"/api/v1/appointments/{a['id']}/cancel", json={}) for a in appointments)
    )


async def test_concurrent_cancellations_by_one_customer_never_lose_a_count(
    company_client, salon, db
):
    # A quota high enough never to refuse, so every cancel takes the checked path.
    await set_policy(
        company_client, "company", salon.company_id, config={"max_cancellations_per_month": 100}
    )
    appointments = await book_many(company_client, salon, APPOINTMENTS)
    assert len({a["customer_id"] for a in appointments}) == 1

    responses = await cancel_all(company_client, appointments)

    assert [r.status_code for r in responses] == [200] * APPOINTMENTS
    (stat,) = await stats(db)
    assert stat.count == APPOINTMENTS
    assert len(await modifications(db)) == APPOINTMENTS


async def test_concurrent_cancellations_cannot_overshoot_the_quota(company_client, salon, db):
    await set_policy(
        company_client, "company", salon.company_id, config={"max_cancellations_per_month": 2}
    )
    appointments = await book_many(company_client, salon, APPOINTMENTS)

    responses = await cancel_all(company_client, appointments)

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 2, statuses
    assert statuses.count(422) == APPOINTMENTS - 2, statuses
    assert {r.json()["reason"]["code"] for r in responses if r.status_code == 422} == {
        "quota_exceeded"
    }
    (stat,) = await stats(db)
    assert stat.count == 2
    assert len(await modifications(db)) == 2


async def test_the_same_appointment_cancelled_twice_at_once(company_client, salon, db):
    (appointment,) = await book_many(company_client, salon, 1)
    responses = await cancel_all(company_client, [appointment, appointment])
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert len(await modifications(db)) == 1
    assert (await stats(db))[0].count == 1
