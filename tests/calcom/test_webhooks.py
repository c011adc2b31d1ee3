"""POST /webhooks/calcom: verified, deduplicated, tenant-checked, applied."""

import asyncio
import json

import pytest
from sqlalchemy import select, update

from app.auth import hmac_sha256_hex
from app.policies.models import AppointmentModification
from app.scheduling.models import Appointment, AppointmentPhase
from app.tenancy.models import Company, Service, Staff
from app.webhook_log import WebhookEvent
from tests.conftest import table_count

SECRET = "whsec_test_secret"
EVENT_TYPE = 4242
TEAM = 900


@pytest.fixture(autouse=True)
async def calcom_salon(app, db, salon):
    app.state.settings = app.state.settings.model_copy(update={"calcom_webhook_secret": SECRET})
    async with db() as session:
        await session.execute(
            update(Service)
            .where(Service.id == salon.colour_id)
            .values(calcom_event_type_id=EVENT_TYPE)
        )
        await session.execute(
            update(Staff).where(Staff.id == salon.anna_id).values(calcom_user_id=77)
        )
        await session.execute(
            update(Company).where(Company.id == salon.company_id).values(calcom_team_id=TEAM)
        )
        await session.commit()
    return salon


def event(
    trigger: str, uid: str = "uid-1", start: str = "2026-12-01T09:00:00Z", **payload
) -> bytes:
    body = {
        "triggerEvent": trigger,
        "createdAt": "2026-11-30T07:00:00.000Z",
        "payload": {
            "uid": uid,
            "bookingId": 1,
            "eventTypeId": EVENT_TYPE,
            "title": "Colour",
            "startTime": start,
            "endTime": None,
            "organizer": {"id": 77, "name": "Anna"},
            "attendees": [
                {"name": "Erika", "email": "erika@example.com", "timeZone": "Europe/Berlin"}
            ],
            **payload,
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


async def deliver(client, body: bytes, signature: str | None = "valid"):
    headers = {"content-type": "application/json"}
    if signature == "valid":
        headers["x-cal-signature-256"] = hmac_sha256_hex(SECRET, body)
    elif signature is not None:
        headers["x-cal-signature-256"] = signature
    return await client.post("/webhooks/calcom", content=body, headers=headers)


async def appointments(db):
    async with db() as session:
        rows = (await session.execute(select(Appointment).order_by(Appointment.id))).scalars().all()
        return list(rows)


class TestVerification:
    async def test_missing_or_bad_signature_is_401_and_changes_nothing(self, client, db):
        assert (await deliver(client, event("BOOKING_CREATED"), None)).status_code == 401
        assert (await deliver(client, event("BOOKING_CREATED"), "00" * 32)).status_code == 401
        assert await table_count(db, "appointments") == 0

    async def test_tampered_body_fails_verification(self, client, db):
        body = event("BOOKING_CREATED")
        signature = hmac_sha256_hex(SECRET, body)
        tampered = body.replace(b"09:00:00Z", b"10:00:00Z")
        assert (await deliver(client, tampered, signature)).status_code == 401

    async def test_without_a_configured_secret_webhooks_are_refused(self, app, client):
        app.state.settings = app.state.settings.model_copy(update={"calcom_webhook_secret": None})
        response = await deliver(client, event("PING"))
        assert response.status_code == 401
        assert "CALCOM_WEBHOOK_SECRET" in response.json()["detail"]


class TestApply:
    async def test_ping_answers_200(self, client):
        response = await deliver(
            client, json.dumps({"triggerEvent": "PING", "payload": {}}).encode()
        )
        assert response.status_code == 200
        assert response.json()["status"] == "ignored"

    async def test_created_booking_becomes_an_appointment_with_phases(
        self, client, db, calcom_salon
    ):
        response = await deliver(client, event("BOOKING_CREATED"))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "processed"
        (appointment,) = await appointments(db)
        assert appointment.source == "calcom" and appointment.calcom_booking_uid == "uid-1"
        assert appointment.staff_id == calcom_salon.anna_id  # matched by Cal.com user id
        assert await table_count(db, "appointment_phases") == 3
        async with db() as session:
            event_row = (await session.execute(select(WebhookEvent))).scalar_one()
        assert (event_row.status, event_row.company_id) == ("processed", calcom_salon.company_id)

    async def test_created_booking_takes_the_slot_in_availability(
        self, client, company_client, calcom_salon
    ):
        check = {
            "branch_id": calcom_salon.branch_id,
            "service_id": calcom_salon.cut_id,
            "staff_id": calcom_salon.anna_id,
            "start": "2026-12-01T10:00:00",
        }
        assert (await company_client.post("/api/v1/availability/check", json=check)).json()[
            "available"
        ]
        await deliver(client, event("BOOKING_CREATED"))  # 10:00-10:30 Berlin is its initial phase
        after = await company_client.post("/api/v1/availability/check", json=check)
        assert after.json()["available"] is False

    async def test_replayed_event_changes_nothing(self, client, db):
        body = event("BOOKING_CREATED")
        await deliver(client, body)
        again = await deliver(client, body)
        assert again.status_code == 200
        assert again.json()["status"] == "duplicate"
        assert await table_count(db, "appointments") == 1
        assert await table_count(db, "webhook_events") == 1

    async def test_concurrent_redeliveries_apply_once(self, client, db):
        body = event("BOOKING_CREATED")
        responses = await asyncio.gather(*(deliver(client, body) for _ in range(4)))
        assert all(r.status_code == 200 for r in responses)
        assert await table_count(db, "appointments") == 1

    async def test_rescheduled_moves_the_appointment_and_its_phases(self, client, db):
        await deliver(client, event("BOOKING_CREATED"))
        moved = event(
            "BOOKING_RESCHEDULED", uid="uid-2", start="2026-12-02T13:00:00Z", rescheduleUid="uid-1"
        )
        assert (await deliver(client, moved)).json()["status"] == "processed"
        (appointment,) = await appointments(db)
        assert appointment.calcom_booking_uid == "uid-2"
        assert appointment.starts_at.isoformat() == "2026-12-02T13:00:00+00:00"
        async with db() as session:
            starts = (await session.execute(select(AppointmentPhase.starts_at))).scalars().all()
        phases = [(start.hour, start.minute) for start in starts]
        assert sorted(phases) == [(13, 0), (13, 30), (14, 0)]

    async def test_cancelled_matches_on_uid_without_metadata(self, client, db):
        await deliver(client, event("BOOKING_CREATED"))
        cancel = event("BOOKING_CANCELLED", cancellationReason="ill")
        assert (await deliver(client, cancel)).json()["status"] == "processed"
        (appointment,) = await appointments(db)
        assert appointment.status == "cancelled"

    async def test_own_booking_echoed_back_is_not_duplicated(
        self, client, company_client, db, calcom_salon
    ):
        created = (
            await company_client.post(
                "/api/v1/appointments",
                json={
                    "branch_id": calcom_salon.branch_id,
                    "service_id": calcom_salon.colour_id,
                    "start": "2026-12-01T10:00:00",
                    "customer": {"name": "E", "phone": "+4915112345678"},
                },
            )
        ).json()
        async with db() as session:
            await session.execute(update(Appointment).values(calcom_booking_uid="uid-own"))
            await session.commit()
        response = await deliver(client, event("BOOKING_CREATED", uid="uid-own"))
        assert response.json()["appointment_id"] == created["id"]
        assert await table_count(db, "appointments") == 1

    async def test_unknown_trigger_is_ignored(self, client, db):
        response = await deliver(client, event("MEETING_ENDED"))
        assert response.status_code == 200 and response.json()["status"] == "ignored"
        assert await table_count(db, "appointments") == 0


class TestRefusals:
    async def test_foreign_event_type_and_team_is_403_and_recorded(self, client, db):
        body = event("BOOKING_CREATED", eventTypeId=999, teamId=12345)
        response = await deliver(client, body)
        assert response.status_code == 403
        assert await table_count(db, "appointments") == 0
        async with db() as session:
            stored = (await session.execute(select(WebhookEvent))).scalar_one()
        assert (stored.status, stored.company_id) == ("rejected", None)

    async def test_known_team_unknown_event_type_cannot_create(self, client, db):
        response = await deliver(client, event("BOOKING_CREATED", eventTypeId=999, teamId=TEAM))
        assert response.status_code == 400
        assert await table_count(db, "appointments") == 0
        async with db() as session:
            stored = (await session.execute(select(WebhookEvent))).scalar_one()
        assert (stored.status, stored.event_type) == ("malformed", "BOOKING_CREATED")

    async def test_malformed_body_is_400_and_recorded(self, client, db):
        response = await deliver(client, b"{not json")
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        async with db() as session:
            stored = (await session.execute(select(WebhookEvent))).scalar_one()
        assert stored.status == "malformed"


class TestPolicyAudit:
    async def test_calcom_cancel_is_applied_even_against_policy_and_recorded(
        self, client, company_client, db, calcom_salon
    ):
        strict = await company_client.put(
            f"/api/v1/policies/company/{calcom_salon.company_id}/cancellation",
            json={"config": {"hours_before": 72}},
        )
        assert strict.status_code in (200, 201), strict.text
        await deliver(client, event("BOOKING_CREATED"))  # starts in 26 hours
        response = await deliver(client, event("BOOKING_CANCELLED", cancellationReason="ill"))
        assert response.json()["status"] == "processed"
        (appointment,) = await appointments(db)
        assert appointment.status == "cancelled"
        async with db() as session:
            (modification,) = (await session.execute(select(AppointmentModification))).scalars()
        assert modification.modified_by_type == "calcom"
        assert modification.modified_by_id == "uid-1"
        assert modification.within_policy is False
        assert modification.reason == "ill"

    async def test_calcom_reschedule_is_recorded(self, client, db):
        await deliver(client, event("BOOKING_CREATED"))
        moved = event(
            "BOOKING_RESCHEDULED", uid="uid-2", start="2026-12-03T13:00:00Z", rescheduleUid="uid-1"
        )
        await deliver(client, moved)
        async with db() as session:
            (modification,) = (await session.execute(select(AppointmentModification))).scalars()
        assert modification.modification_type == "reschedule"
        assert modification.within_policy is True  # no policy configured: rule 1


async def test_calcom_booking_respects_the_auto_create_flag(app, client, db):
    from tests.salon import set_flags

    set_flags(app, processing_time_enabled=True, processing_time_auto_create=False)
    assert (await deliver(client, event("BOOKING_CREATED"))).json()["status"] == "processed"
    assert await table_count(db, "appointments") == 1
    assert await table_count(db, "appointment_phases") == 0
