"""The audit trail: history per appointment and per customer, and changes reported by Cal.com
(recorded with their policy verdict, never refused)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from app.policies.errors import PolicyViolationError
from app.policies.modifications import Actor, ActorType, ModificationPolicy
from app.policies.rules import Action
from app.scheduling.models import Appointment
from app.scheduling.service import SchedulingService
from tests.policies.helpers import (
    SALON_POLICY,
    book,
    hours_before,
    modifications,
    set_policy,
    stats,
)
from tests.salon import local


async def history(client, path, **params):
    response = await client.get(f"/api/v1/{path}/modifications", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestHistory:
    async def test_an_appointments_modifications_newest_first(self, company_client, salon):
        appointment = await book(company_client, salon, local(3, 10))
        url = f"/api/v1/appointments/{appointment['id']}"
        await company_client.post(f"{url}/reschedule", json={"start": local(4, 10)})
        await company_client.post(f"{url}/cancel", json={"reason": "moved away"})

        page = await history(company_client, f"appointments/{appointment['id']}")
        assert page["total"] == 2
        assert [(m["modification_type"], m["reason"]) for m in page["items"]] == [
            ("cancel", "moved away"),
            ("reschedule", None),
        ]
        first = page["items"][0]
        assert (first["within_policy"], first["fee_charged"], first["modified_by_type"]) == (
            True,
            "0.00",
            "staff",
        )
        assert first["metadata"]["reason_code"] == "no_policy"
        only_cancels = await history(
            company_client, f"appointments/{appointment['id']}", modification_type="cancel"
        )
        assert [m["modification_type"] for m in only_cancels["items"]] == ["cancel"]

    async def test_a_customers_history_spans_their_appointments_only(self, company_client, salon):
        mine = [await book(company_client, salon, local(3, hour)) for hour in (10, 11)]
        other = await book(company_client, salon, local(3, 12), phone="+4915199999999")
        for appointment in [*mine, other]:
            await company_client.post(f"/api/v1/appointments/{appointment['id']}/cancel", json={})
        page = await history(company_client, f"customers/{mine[0]['customer_id']}")
        assert sorted(m["appointment_id"] for m in page["items"]) == [a["id"] for a in mine]
        paged = await history(company_client, f"customers/{mine[0]['customer_id']}", limit=1)
        assert (paged["total"], len(paged["items"])) == (2, 1)

    async def test_another_companys_history_is_404(self, company_client, other_client, salon):
        appointment = await book(company_client, salon, local(3, 10))
        await company_client.post(f"/api/v1/appointments/{appointment['id']}/cancel", json={})
        for path in (
            f"appointments/{appointment['id']}",
            f"customers/{appointment['customer_id']}",
        ):
            assert (await other_client.get(f"/api/v1/{path}/modifications")).status_code == 404


class TestExternalModifications:
    """What the Cal.com webhook receiver calls for a change made on Cal.com."""

    async def test_a_late_cancellation_on_calcom_is_recorded_not_refused(
        self, app, company_client, salon, db
    ):
        await set_policy(
            company_client,
            "company",
            salon.company_id,
            config={**SALON_POLICY, "max_cancellations_per_month": 0, "fee_percentage": 50},
        )
        appointment = await book(company_client, salon, local(3, 10))
        late = hours_before(appointment, 2)
        async with db() as session:
            row = await session.get(Appointment, appointment["id"])
            row.status = "cancelled"
            policy = ModificationPolicy(
                session,
                salon.company_id,
                app.state.cache,
                Actor.calcom("uid-123"),
                clock=lambda: late,
            )
            await policy.record_external(row, Action.CANCEL, reason="cancelled on Cal.com")
            await session.commit()

        (record,) = await modifications(db)
        assert (record.modified_by_type, record.modified_by_id) == ("calcom", "uid-123")
        assert (record.within_policy, record.reason) == (False, "cancelled on Cal.com")
        # 2 h: below the 24 h minimum and no tier reaches down; 50 % of the 35.00 cut.
        assert record.fee_charged == Decimal("17.50")
        assert record.details["enforced"] is False
        assert record.details["reason_code"] == "insufficient_notice"
        assert (await stats(db))[0].count == 1

    async def test_a_reschedule_is_measured_to_the_old_start(self, app, salon, db, company_client):
        await set_policy(
            company_client, "company", salon.company_id, "reschedule", {"hours_before": 24}
        )
        appointment = await book(company_client, salon, local(3, 10))
        now = hours_before(appointment, 30)
        async with db() as session:
            row = await session.get(Appointment, appointment["id"])
            old_start = row.starts_at
            row.starts_at += timedelta(days=3)
            row.ends_at += timedelta(days=3)
            policy = ModificationPolicy(
                session, salon.company_id, app.state.cache, Actor.calcom(), clock=lambda: now
            )
            await policy.record_external(
                row, Action.RESCHEDULE, starts_at=old_start, details={"to": "elsewhere"}
            )
            await session.commit()
        (record,) = await modifications(db)
        assert record.within_policy is True
        assert record.details["hours_notice"] == 30.0
        assert record.details["to"] == "elsewhere"

    async def test_booking_service_acting_for_calcom_is_never_refused(
        self, app, company_client, salon, db
    ):
        await set_policy(company_client, "company", salon.company_id, config=SALON_POLICY)
        appointment = await book(company_client, salon, local(3, 10))
        late = hours_before(appointment, 1)
        async with db() as session:
            booking = SchedulingService(
                session,
                salon.company_id,
                app.state.cache,
                app.state.settings.features,
                clock=lambda: late,
                actor=Actor.calcom(),
            )
            cancelled = await booking.cancel(appointment["id"], "cancelled on Cal.com")
            await session.commit()
        assert cancelled.status == "cancelled"
        (record,) = await modifications(db)
        assert (record.modified_by_type, record.within_policy) == ("calcom", False)


class TestActors:
    async def test_only_staff_may_force(self, app, company_client, salon, db):
        await set_policy(company_client, "company", salon.company_id, config=SALON_POLICY)
        appointment = await book(company_client, salon, local(3, 10))
        late = hours_before(appointment, 1)
        for actor in (Actor(ActorType.CUSTOMER, "voice"), Actor(ActorType.SYSTEM)):
            async with db() as session:
                row = await session.get(Appointment, appointment["id"])
                policy = ModificationPolicy(
                    session, salon.company_id, app.state.cache, actor, clock=lambda: late
                )
                with pytest.raises(PolicyViolationError) as refused:
                    await policy.check(row, Action.CANCEL, force=True)
                assert refused.value.extensions["reason"]["code"] == "insufficient_notice"
        assert await modifications(db) == []
