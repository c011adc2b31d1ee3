"""Many callers, one slot: exactly one booking wins (DESIGN §5.3), on SQLite and MariaDB."""

import asyncio

import pytest

from tests.conftest import MYSQL_URL, table_count
from tests.salon import booking, local

# MariaDB runs the 50 concurrent sessions; SQLite serialises writers anyway.
CONTENDERS = 50 if MYSQL_URL else 20


@pytest.mark.committed
async def test_concurrent_bookings_of_one_slot_exactly_one_wins(company_client, salon, db):
    bodies = [
        booking(
            salon,
            local(1, 10),
            staff=salon.anna_id,
            phone=f"+49151{10000000 + i:08d}",
            name=f"Caller {i}",
        )
        for i in range(CONTENDERS)
    ]
    responses = await asyncio.gather(
        *(company_client.post("/api/v1/appointments", json=body) for body in bodies)
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == CONTENDERS - 1, statuses
    for response in responses:
        if response.status_code == 409:
            assert len(response.json()["alternatives"]) == 2
    assert await table_count(db, "appointments") == 1


@pytest.mark.committed
async def test_concurrent_colours_and_cuts_respect_phases(company_client, salon, db):
    """A colour at 10:00 and cuts racing for its processing time and its final phase."""
    colour = booking(salon, local(1, 10), service="colour", staff=salon.anna_id)
    in_processing = [
        booking(salon, local(1, 10, 30), staff=salon.anna_id, phone=f"+4915120000{i:03d}")
        for i in range(3)
    ]
    responses = await asyncio.gather(
        *(company_client.post("/api/v1/appointments", json=b) for b in [colour, *in_processing])
    )
    statuses = [r.status_code for r in responses]
    # Whoever wins the lock first, at most one of the cuts can take 10:30-11:00, and the colour
    # fits with that cut (processing time) - so both the colour and one cut are booked.
    assert statuses[0] == 201
    assert sorted(statuses[1:]) == [201, 409, 409]
    assert await table_count(db, "appointments") == 2
