"""Two instances sharing the database and a healthy Redis behave as one service: a key each
has resolved (and keeps in its process) is refused by both on the request after it is
revoked, a company's rate limit counts the requests of both, and an availability answer
either stored is never offered by the other after a booking."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import ADMIN_KEY, make_client
from tests.salon import booking, local

SERVICES = "/api/v1/services"
CHECK = "/api/v1/availability/check"


async def test_a_revoked_key_is_refused_by_every_instance_on_the_next_request(
    app, other_app, tenant
):
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
    ):
        for client in (a, b, a, b):  # resolved, then served from each process's own copy
            assert (await client.get(SERVICES)).status_code == 200

        revoked = await a.delete(f"/api/v1/api-keys/{tenant.key_id}")
        assert revoked.status_code == 200, revoked.text

        assert (await b.get(SERVICES)).status_code == 401
        assert (await a.get(SERVICES)).status_code == 401


async def test_a_deactivated_company_is_refused_by_every_instance_on_the_next_request(
    app, other_app, tenant
):
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
        make_client(app, ADMIN_KEY) as admin,
    ):
        for client in (a, b, a, b):
            assert (await client.get(SERVICES)).status_code == 200
        deactivated = await admin.patch(
            f"/api/v1/companies/{tenant.company_id}", json={"is_active": False}
        )
        assert deactivated.status_code == 200, deactivated.text
        assert (await b.get(SERVICES)).status_code == 401
        assert (await a.get(SERVICES)).status_code == 401


async def test_the_rate_limit_counts_the_requests_of_every_instance(app, other_app, tenant):
    limit = 4
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
        make_client(app, ADMIN_KEY) as admin,
    ):
        changed = await admin.patch(
            f"/api/v1/companies/{tenant.company_id}",
            json={"settings": {"rate_limit_per_minute": limit}},
        )
        assert changed.status_code == 200, changed.text
        # Ten seconds into a minute on both instances, so the window does not turn meanwhile.
        start = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
        app.state.now = other_app.state.now = lambda: start
        statuses = [(await client.get(SERVICES)).status_code for client in (a, b) * limit]
        assert statuses[:limit] == [200] * limit
        assert statuses[limit:] == [429] * limit


def check_body(salon) -> dict:
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": salon.anna_id,
        "start": local(1, 10),
    }


async def test_a_booking_on_one_instance_is_never_offered_by_another(app, other_app, tenant, salon):
    async with (
        make_client(app, tenant.api_key) as a,
        make_client(other_app, tenant.api_key) as b,
    ):
        for client in (a, b, a, b, a, b):  # stored by one, then each holds its own copy
            answer = await client.post(CHECK, json=check_body(salon))
            assert answer.json()["available"] is True, answer.text

        booked = await b.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert booked.status_code == 201, booked.text

        for client in (a, b, a):
            answer = await client.post(CHECK, json=check_body(salon))
            assert answer.json()["available"] is False, answer.text
