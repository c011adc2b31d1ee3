"""A booking does no repeated work: the statements it sends are counted, not timed.

Counted: every statement sent to the database during the request, except the transaction's
own BEGIN. The API key is resolved from the cache (a warm-up request first), as in
steady operation. Pinned: a successful local booking at most 10, a refused one at most 8
and no write; an inline customer is created only when the booking goes ahead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tests.conftest import table_count
from tests.salon import booking, local

SUCCESS_LIMIT = 10
REFUSED_LIMIT = 8
WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements(app) -> Iterator[list[str]]:
    sent: list[str] = []
    engine = app.state.engine.sync_engine

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            sent.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _writes(sent: list[str]) -> list[str]:
    # The cache generation table is the invalidation record, not a change of data.
    return [s for s in sent if s.upper().startswith(WRITES) and "cache_generations" not in s]


async def _warm(company_client) -> None:
    assert (await company_client.get("/api/v1/company")).status_code == 200


async def test_a_booking_with_a_new_customer_sends_at_most_ten_statements(
    app, company_client, salon
):
    await _warm(company_client)
    body = booking(salon, local(1, 10), staff=salon.anna_id, phone="+4915100000001")
    with statements(app) as sent:
        response = await company_client.post("/api/v1/appointments", json=body)
    assert response.status_code == 201, response.text
    assert len(sent) <= SUCCESS_LIMIT, "\n".join(sent)


async def test_a_booking_of_a_split_service_for_a_known_customer(app, company_client, salon):
    await _warm(company_client)
    first = booking(salon, local(1, 10), staff=salon.anna_id, phone="+4915100000002")
    assert (await company_client.post("/api/v1/appointments", json=first)).status_code == 201
    again = booking(salon, local(2, 10), service="colour", phone="+4915100000002")
    with statements(app) as sent:
        response = await company_client.post("/api/v1/appointments", json=again)
    assert response.status_code == 201, response.text
    assert len(response.json()["phases"]) == 3
    assert len(sent) <= SUCCESS_LIMIT, "\n".join(sent)


async def test_a_refused_booking_sends_at_most_eight_and_writes_nothing(
    app, db, company_client, salon
):
    await _warm(company_client)
    taken = booking(salon, local(1, 10), staff=salon.anna_id, phone="+4915100000003")
    assert (await company_client.post("/api/v1/appointments", json=taken)).status_code == 201
    customers = await table_count(db, "customers")
    again = booking(salon, local(1, 10), staff=salon.anna_id, phone="+4915100000004")
    with statements(app) as sent:
        response = await company_client.post("/api/v1/appointments", json=again)
    assert response.status_code == 409
    assert len(response.json()["alternatives"]) == 2
    assert len(sent) <= REFUSED_LIMIT, "\n".join(sent)
    assert _writes(sent) == [], "\n".join(sent)
    assert await table_count(db, "customers") == customers  # no customer for a refusal
