"""A Cal.com team and event type belong to one company; webhooks never cross tenants;
malformed but signed payloads are refused as 400, never a 500 or a stored appointment."""

import json

import pytest
from sqlalchemy import select, update

from app.tenancy.models import Company, Customer, Service
from app.webhook_log import WebhookEvent
from tests import factories
from tests.calcom.test_webhooks import (
    EVENT_TYPE,
    TEAM,
    appointments,
    calcom_salon,  # noqa: F401  (autouse: links the salon's colour service and team)
    deliver,
    event,
)
from tests.conftest import table_count


async def customers_of(db, company_id: int) -> list[Customer]:
    async with db() as session:
        stmt = select(Customer).where(Customer.company_id == company_id)
        return list((await session.execute(stmt)).scalars().all())


class TestClaims:
    async def test_claiming_another_companys_event_type_is_409_and_changes_nothing(
        self, db, other_client, other_tenant
    ):
        mine = await factories.make_service(db, other_tenant.company_id, name="Decoy")
        response = await other_client.patch(
            f"/api/v1/services/{mine.id}", json={"calcom_event_type_id": EVENT_TYPE}
        )
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "Salon Alpha" not in response.text  # never says whose it is
        async with db() as session:
            assert (await session.get(Service, mine.id)).calcom_event_type_id is None

    async def test_creating_a_service_with_a_claimed_event_type_is_409(self, other_client):
        response = await other_client.post(
            "/api/v1/services",
            json={"name": "Decoy", "duration_minutes": 30, "calcom_event_type_id": EVENT_TYPE},
        )
        assert response.status_code == 409, response.text

    async def test_claiming_another_companys_team_is_409(self, db, other_client, other_tenant):
        response = await other_client.patch("/api/v1/company", json={"calcom_team_id": TEAM})
        assert response.status_code == 409, response.text
        assert response.json()["field"] == "body.calcom_team_id"
        async with db() as session:
            assert (await session.get(Company, other_tenant.company_id)).calcom_team_id is None

    async def test_a_company_may_keep_and_reset_its_own_team(self, company_client):
        assert (
            await company_client.patch("/api/v1/company", json={"calcom_team_id": TEAM})
        ).status_code == 200
        cleared = await company_client.patch("/api/v1/company", json={"calcom_team_id": None})
        assert cleared.status_code == 200
        assert cleared.json()["calcom_team_id"] is None


class TestRouting:
    async def test_event_type_with_another_companys_team_is_403_and_creates_nothing(
        self, client, db, salon, other_tenant
    ):
        # The event type is Salon Alpha's; the team is Salon Beta's.
        async with db() as session:
            await session.execute(
                update(Company)
                .where(Company.id == other_tenant.company_id)
                .values(calcom_team_id=TEAM + 1)
            )
            await session.commit()
        response = await deliver(client, event("BOOKING_CREATED", teamId=TEAM + 1))
        assert response.status_code == 403, response.text
        assert await appointments(db) == []
        assert await customers_of(db, salon.company_id) == []
        assert await customers_of(db, other_tenant.company_id) == []

    async def test_event_type_with_an_unknown_team_is_403(self, client, db):
        response = await deliver(client, event("BOOKING_CREATED", team={"id": 31337}))
        assert response.status_code == 403
        assert "calcom_team_id" in response.json()["detail"]
        assert await appointments(db) == []

    async def test_event_type_with_its_own_team_is_applied(self, client, db, salon):
        response = await deliver(client, event("BOOKING_CREATED", teamId=TEAM))
        assert response.status_code == 200, response.text
        (appointment,) = await appointments(db)
        assert appointment.company_id == salon.company_id


def raw_event(payload: dict) -> bytes:
    body = {"triggerEvent": "BOOKING_CREATED", "createdAt": "2026-11-30T07:00:00Z"}
    return json.dumps({**body, "payload": payload}).encode()


BOOKING = {
    "uid": "uid-x",
    "eventTypeId": EVENT_TYPE,
    "startTime": "2026-12-01T09:00:00Z",
    "attendees": [{"name": "Erika", "email": "erika@example.com"}],
}


class TestMalformed:
    @pytest.mark.parametrize(
        "payload",
        [
            pytest.param({**BOOKING, "eventTypeId": 10**30}, id="event type id beyond 64 bits"),
            pytest.param({**BOOKING, "teamId": 10**30}, id="team id beyond 64 bits"),
            pytest.param({**BOOKING, "endTime": "2026-12-01T08:00:00Z"}, id="end before start"),
            pytest.param(
                {**BOOKING, "startTime": "2026-12-01T09:00:00"}, id="start without offset"
            ),
            pytest.param({**BOOKING, "startTime": "9999-12-31T23:00:00Z"}, id="year 9999"),
            pytest.param({**BOOKING, "startTime": "0001-01-01T09:00:00Z"}, id="year 1"),
            pytest.param({**BOOKING, "uid": "u" * 100_000}, id="100 KB uid"),
            pytest.param({**BOOKING, "attendees": [{"name": "x"}] * 1000}, id="1000 attendees"),
        ],
    )
    async def test_signed_but_malformed_is_400_and_creates_nothing(self, client, db, payload):
        response = await deliver(client, raw_event(payload))
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert await appointments(db) == []
        async with db() as session:
            (stored,) = (await session.execute(select(WebhookEvent))).scalars().all()
            assert stored.status == "malformed"

    async def test_nesting_fifty_thousand_deep_is_400(self, client, db):
        body = b'{"triggerEvent":"BOOKING_CREATED","payload":' + b"[" * 50_000 + b"]" * 50_000
        body += b"}"
        response = await deliver(client, body)
        assert response.status_code == 400
        assert await appointments(db) == []

    async def test_a_body_over_256_kb_is_413_before_anything_is_read(self, client, db):
        body = raw_event({**BOOKING, "title": "x" * 300_000})
        response = await deliver(client, body)
        assert response.status_code == 413
        assert await table_count(db, "webhook_events") == 0

    async def test_control_characters_in_an_attendee_name_are_not_stored(self, client, db, salon):
        payload = {**BOOKING, "attendees": [{"name": "Eri\x00ka\n", "email": "e@example.com"}]}
        assert (await deliver(client, raw_event(payload))).status_code == 200
        (customer,) = await customers_of(db, salon.company_id)
        assert customer.name == "Eri ka"
