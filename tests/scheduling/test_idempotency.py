"""Idempotency-Key on booking POSTs (DESIGN §5.3)."""

import asyncio

from tests.conftest import table_count
from tests.salon import booking, local


async def post(client, body, key):
    return await client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": key})


class TestIdempotency:
    async def test_retry_with_same_key_replays_and_books_once(self, company_client, salon, db):
        body = booking(salon, local(1, 10))
        first = await post(company_client, body, "call-42-book")
        retry = await post(company_client, body, "call-42-book")
        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert await table_count(db, "appointments") == 1

    async def test_same_key_other_body_is_422(self, company_client, salon, db):
        await post(company_client, booking(salon, local(1, 10)), "k1")
        response = await post(company_client, booking(salon, local(1, 11)), "k1")
        assert response.status_code == 422
        assert response.json()["type"].endswith("/idempotency-key-reused")
        assert await table_count(db, "appointments") == 1

    async def test_failed_request_releases_the_key(self, company_client, salon, db):
        await post(company_client, booking(salon, local(1, 10), staff=salon.anna_id), "a")
        taken = booking(salon, local(1, 10), staff=salon.anna_id, phone="+4915199999999")
        assert (await post(company_client, taken, "b")).status_code == 409
        # The slot frees up; the same key may now succeed instead of replaying the 409.
        first_id = (await company_client.get("/api/v1/appointments")).json()["items"][0]["id"]
        await company_client.post(f"/api/v1/appointments/{first_id}/cancel", json={})
        assert (await post(company_client, taken, "b")).status_code == 201

    async def test_keys_are_per_company(self, company_client, other_client, salon, db):
        await post(company_client, booking(salon, local(1, 10)), "shared-key")
        response = await post(other_client, booking(salon, local(1, 10)), "shared-key")
        assert response.status_code == 404  # other tenant's ids; not a replay of A's booking

    async def test_concurrent_duplicates_book_once(self, company_client, salon, db):
        body = booking(salon, local(1, 10))
        responses = await asyncio.gather(*(post(company_client, body, "dup") for _ in range(5)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) >= 1
        assert set(statuses) <= {201, 409}
        assert await table_count(db, "appointments") == 1

    async def test_cancel_is_idempotent_with_a_key(self, company_client, salon):
        created = (
            await company_client.post("/api/v1/appointments", json=booking(salon, local(1, 10)))
        ).json()
        url = f"/api/v1/appointments/{created['id']}/cancel"
        first = await company_client.post(url, json={}, headers={"Idempotency-Key": "c1"})
        again = await company_client.post(url, json={}, headers={"Idempotency-Key": "c1"})
        assert first.status_code == again.status_code == 200
        assert again.json()["status"] == "cancelled"


async def test_a_claim_left_by_a_crashed_request_is_taken_over_after_two_minutes(
    app, company_client, salon, db
):
    import json
    from datetime import timedelta

    from app.idempotency import KEY_TTL, IdempotencyGuard, IdempotencyKey
    from tests.salon import NOW

    body = booking(salon, local(1, 10))
    fingerprint = IdempotencyGuard.fingerprint_of(
        "POST", "/api/v1/appointments", json.dumps(body).encode()
    )
    async with db() as session:  # a request that claimed the key and then died
        session.add(
            IdempotencyKey(
                company_id=salon.company_id,
                key="crashed",
                request_hash=fingerprint,
                expires_at=NOW + KEY_TTL,
            )
        )
        await session.commit()
    app.state.now = lambda: NOW + timedelta(minutes=1)
    assert (await post(company_client, body, "crashed")).status_code == 409
    app.state.now = lambda: NOW + timedelta(minutes=3)
    assert (await post(company_client, body, "crashed")).status_code == 201
