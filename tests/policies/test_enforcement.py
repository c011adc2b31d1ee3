"""Cancel and reschedule under the effective policy (DESIGN §5.4 rules 1-4): refusals with
the enforcement body, staff force, fees at tier boundaries, quotas, and the dry run."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.policies.enforcement import day_start
from app.policies.models import AppointmentModificationStat
from app.scheduling.models import Appointment
from tests.policies.helpers import (
    SALON_POLICY,
    book,
    hours_before,
    modifications,
    pin_clock,
    set_policy,
    stats,
)
from tests.salon import BERLIN, NOW, local

LATE_FEE = {**SALON_POLICY, "fee_tiers": [{"min_hours": 0, "fee": 25}, *SALON_POLICY["fee_tiers"]]}


async def cancel(client, appointment, **body):
    return await client.post(f"/api/v1/appointments/{appointment['id']}/cancel", json=body)


async def reschedule(client, appointment, start, **body):
    return await client.post(
        f"/api/v1/appointments/{appointment['id']}/reschedule", json={"start": start, **body}
    )


async def policy_check(client, appointment, action="cancel"):
    return await client.get(
        f"/api/v1/appointments/{appointment['id']}/policy-check", params={"action": action}
    )


async def status_of(db, appointment) -> str:
    async with db() as session:
        return (await session.get(Appointment, appointment["id"])).status


class TestNoPolicy:
    async def test_cancel_is_allowed_free_and_recorded_with_who_and_why(
        self, company_client, salon, tenant, db
    ):
        appointment = await book(company_client, salon, local(1, 10))
        response = await cancel(company_client, appointment, reason="ill")
        assert response.status_code == 200, response.text
        (row,) = await modifications(db)
        assert (row.appointment_id, row.customer_id, row.modification_type) == (
            appointment["id"],
            appointment["customer_id"],
            "cancel",
        )
        assert (row.within_policy, row.fee_charged, row.reason) == (True, Decimal("0.00"), "ill")
        assert (row.modified_by_type, row.modified_by_id) == ("staff", f"api_key:{tenant.key_id}")
        assert row.details["reason_code"] == "no_policy"
        (stat,) = await stats(db)
        assert (stat.customer_id, stat.stat_type, stat.count) == (
            appointment["customer_id"],
            "cancel_count",
            1,
        )
        # The salon's (Berlin) day: midnight to midnight local time, stored in UTC.
        assert stat.period_start == day_start(NOW, BERLIN) == datetime(2026, 11, 29, 23, tzinfo=UTC)
        assert stat.period_end == day_start(NOW, BERLIN) + timedelta(days=1)


class TestCancel:
    async def test_one_minute_short_is_refused_with_the_body_and_nothing_changes(
        self, app, company_client, salon, db
    ):
        company = await set_policy(company_client, "company", salon.company_id, config=LATE_FEE)
        appointment = await book(company_client, salon, local(3, 10))
        pin_clock(app, hours_before(appointment, 24) + timedelta(minutes=1))

        response = await cancel(company_client, appointment)

        assert response.status_code == 422
        problem = response.json()
        assert problem["type"].endswith("/policy-violation")
        assert problem["allowed"] is False
        assert problem["reason"]["code"] == "insufficient_notice"
        assert problem["detail"] == problem["reason"]["message"]
        assert "at least 24 hours of notice" in problem["detail"]
        assert problem["fee"] == "25.00"  # what forcing it would cost
        assert problem["hours_notice"] == 23.98
        assert problem["policy"]["sources"]["hours_before"] == {
            "level": "company",
            "entity_id": salon.company_id,
            "policy_id": company["id"],
        }
        assert await status_of(db, appointment) == "confirmed"
        assert await modifications(db) == [] and await stats(db) == []

    async def test_exactly_24_hours_is_allowed_with_the_24_hour_tier_fee(
        self, app, company_client, salon, db
    ):
        await set_policy(company_client, "company", salon.company_id, config=LATE_FEE)
        appointment = await book(company_client, salon, local(3, 10))
        pin_clock(app, hours_before(appointment, 24))
        response = await cancel(company_client, appointment)
        assert response.status_code == 200, response.text
        (row,) = await modifications(db)
        assert (row.within_policy, row.fee_charged) == (True, Decimal("10.00"))
        assert row.details["hours_notice"] == 24.0

    async def test_the_48_hour_tier_boundary(self, app, company_client, salon):
        await set_policy(company_client, "company", salon.company_id, config=LATE_FEE)
        appointment = await book(company_client, salon, local(3, 10))
        pin_clock(app, hours_before(appointment, 48))
        assert (await policy_check(company_client, appointment)).json()["fee"] == "0.00"
        pin_clock(app, hours_before(appointment, 48) + timedelta(minutes=1))
        assert (await policy_check(company_client, appointment)).json()["fee"] == "10.00"

    async def test_staff_force_cancels_outside_policy_with_the_fee(
        self, app, company_client, salon, db
    ):
        await set_policy(company_client, "company", salon.company_id, config=LATE_FEE)
        appointment = await book(company_client, salon, local(3, 10))
        pin_clock(app, hours_before(appointment, 2))
        response = await cancel(company_client, appointment, force=True, reason="called in sick")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
        (row,) = await modifications(db)
        assert (row.within_policy, row.fee_charged) == (False, Decimal("25.00"))
        assert row.details["forced"] is True
        assert row.details["reason_code"] == "insufficient_notice"
        assert (await stats(db))[0].count == 1

    async def test_quota_is_reached_exactly_at_the_limit_and_is_per_customer(
        self, company_client, salon, db
    ):
        await set_policy(
            company_client, "company", salon.company_id, config={"max_cancellations_per_month": 2}
        )
        mine = [await book(company_client, salon, local(3, hour)) for hour in (10, 11, 12)]
        theirs = await book(company_client, salon, local(3, 13), phone="+4915199999999")
        for appointment in mine[:2]:
            assert (await cancel(company_client, appointment)).status_code == 200

        refused = await cancel(company_client, mine[2])
        assert refused.status_code == 422
        assert refused.json()["reason"]["code"] == "quota_exceeded"
        assert "2 cancellations in the last 30 days; the limit is 2" in refused.json()["detail"]
        assert await status_of(db, mine[2]) == "confirmed"
        assert (await cancel(company_client, theirs)).status_code == 200
        counts = {s.customer_id: s.count for s in await stats(db)}
        assert counts == {mine[0]["customer_id"]: 2, theirs["customer_id"]: 1}

        assert (await cancel(company_client, mine[2], force=True)).status_code == 200
        assert {s.customer_id: s.count for s in await stats(db)}[mine[0]["customer_id"]] == 3

    async def test_the_quota_counts_the_rolling_30_days(self, company_client, salon, db):
        await set_policy(
            company_client, "company", salon.company_id, config={"max_cancellations_per_month": 3}
        )
        first, second = [await book(company_client, salon, local(3, hour)) for hour in (10, 11)]
        customer_id = first["customer_id"]
        today = day_start(NOW, BERLIN)
        async with db() as session:
            for days_ago, count in ((29, 2), (30, 5)):
                start = today - timedelta(days=days_ago)
                session.add(
                    AppointmentModificationStat(
                        company_id=salon.company_id,
                        customer_id=customer_id,
                        stat_type="cancel_count",
                        period_start=start,
                        period_end=start + timedelta(days=1),
                        count=count,
                    )
                )
            await session.commit()
        # 29 days ago is inside the window (2 used), 30 days ago is not: one more is allowed.
        assert (await cancel(company_client, first)).status_code == 200
        refused = await cancel(company_client, second)
        assert refused.json()["reason"]["code"] == "quota_exceeded"

    async def test_the_stylists_tighter_rule_and_the_branchs_relaxed_one_apply(
        self, app, company_client, salon
    ):
        await set_policy(company_client, "company", salon.company_id, config=SALON_POLICY)
        await set_policy(company_client, "branch", salon.branch_id, config={"hours_before": 12})
        await set_policy(
            company_client, "staff", salon.anna_id, config={"max_cancellations_per_month": 1}
        )
        with_anna = [
            await book(company_client, salon, local(3, hour), staff=salon.anna_id)
            for hour in (10, 11)
        ]
        with_ben = await book(company_client, salon, local(3, 12), staff=salon.ben_id)
        pin_clock(app, hours_before(with_anna[0], 13))

        # 13 h: enough for the branch (12 h) though not for the company (24 h); no tier
        # reaches down to 13 h, so it is free.
        allowed = await cancel(company_client, with_anna[0])
        assert allowed.status_code == 200
        refused = await cancel(company_client, with_anna[1])
        assert refused.json()["reason"]["code"] == "quota_exceeded"
        assert refused.json()["policy"]["sources"]["max_cancellations_per_month"]["level"] == (
            "staff"
        )
        # Ben's appointments follow the company quota of 3.
        assert (await cancel(company_client, with_ben)).status_code == 200


class TestReschedule:
    async def test_per_appointment_limit_and_the_move_is_recorded(self, company_client, salon, db):
        await set_policy(
            company_client,
            "company",
            salon.company_id,
            "reschedule",
            {"max_reschedules_per_appointment": 1, "fee": 5},
        )
        appointment = await book(company_client, salon, local(3, 10), staff=salon.anna_id)
        moved = await reschedule(company_client, appointment, local(4, 10), reason="traffic")
        assert moved.status_code == 200, moved.text

        refused = await reschedule(company_client, appointment, local(5, 10))
        assert refused.status_code == 422
        assert refused.json()["reason"]["code"] == "quota_exceeded"
        assert "rescheduled once; the limit is 1" in refused.json()["detail"]
        current = (await company_client.get(f"/api/v1/appointments/{appointment['id']}")).json()
        assert current["starts_at"] == "2026-12-04T10:00:00+01:00"

        (row,) = await modifications(db)
        assert (row.modification_type, row.fee_charged, row.reason) == (
            "reschedule",
            Decimal("5.00"),
            "traffic",
        )
        assert row.details["from"].startswith("2026-12-03T09:00:00")  # UTC
        assert row.details["to"].startswith("2026-12-04T09:00:00")
        assert row.details["staff_id"] == salon.anna_id
        (stat,) = await stats(db)
        assert (stat.stat_type, stat.count) == ("reschedule_count", 1)

    async def test_short_notice_is_refused_unless_forced(self, app, company_client, salon, db):
        await set_policy(
            company_client, "company", salon.company_id, "reschedule", {"hours_before": 12}
        )
        # Cancellation rules do not apply to a reschedule.
        await set_policy(company_client, "company", salon.company_id, config={"hours_before": 1})
        appointment = await book(company_client, salon, local(3, 10))
        pin_clock(app, hours_before(appointment, 6))
        refused = await reschedule(company_client, appointment, local(4, 10))
        assert refused.status_code == 422
        assert refused.json()["reason"]["code"] == "insufficient_notice"
        assert refused.json()["action"] == "reschedule"
        assert await modifications(db) == []

        forced = await reschedule(company_client, appointment, local(4, 10), force=True)
        assert forced.status_code == 200
        (row,) = await modifications(db)
        assert row.within_policy is False and row.details["forced"] is True

    async def test_monthly_reschedule_quota_spans_appointments(self, company_client, salon):
        await set_policy(
            company_client,
            "company",
            salon.company_id,
            "reschedule",
            {"max_reschedules_per_month": 1},
        )
        first, second = [await book(company_client, salon, local(3, hour)) for hour in (10, 11)]
        assert (await reschedule(company_client, first, local(4, 10))).status_code == 200
        refused = await reschedule(company_client, second, local(4, 11))
        assert refused.json()["reason"]["code"] == "quota_exceeded"

    async def test_a_taken_target_is_409_and_nothing_is_recorded(self, company_client, salon, db):
        appointment = await book(company_client, salon, local(3, 10), staff=salon.anna_id)
        await book(company_client, salon, local(4, 10), staff=salon.anna_id, phone="+4915199999999")
        response = await reschedule(company_client, appointment, local(4, 10))
        assert response.status_code == 409
        assert await modifications(db) == [] and await stats(db) == []


class TestPolicyCheck:
    async def test_dry_run_answers_like_the_action_and_changes_nothing(
        self, app, company_client, salon, db
    ):
        await set_policy(company_client, "company", salon.company_id, config=LATE_FEE)
        appointment = await book(company_client, salon, local(3, 10))
        pin_clock(app, hours_before(appointment, 30))
        check = await policy_check(company_client, appointment)
        assert check.status_code == 200
        body = check.json()
        assert (body["action"], body["allowed"], body["fee"], body["hours_notice"]) == (
            "cancel",
            True,
            "10.00",
            30.0,
        )
        assert body["reason"] == {
            "code": "within_policy",
            "message": "Cancelling is allowed with 30 hours of notice; the fee is 10.00.",
        }
        assert body["policy"]["config"]["hours_before"] == 24.0
        assert await modifications(db) == [] and await status_of(db, appointment) == "confirmed"

        pin_clock(app, hours_before(appointment, 3))
        check = (await policy_check(company_client, appointment)).json()
        refused = (await cancel(company_client, appointment)).json()
        assert {k: check[k] for k in ("allowed", "reason", "fee", "hours_notice", "policy")} == {
            k: refused[k] for k in ("allowed", "reason", "fee", "hours_notice", "policy")
        }

    async def test_reschedule_check_uses_the_reschedule_policy(self, company_client, salon):
        await set_policy(company_client, "company", salon.company_id, config={"fee": 9})
        appointment = await book(company_client, salon, local(3, 10))
        body = (await policy_check(company_client, appointment, "reschedule")).json()
        assert (body["reason"]["code"], body["fee"]) == ("no_policy", "0.00")
        assert body["policy"]["policy_type"] == "reschedule"

    async def test_closed_foreign_and_unknown_appointments(
        self, company_client, other_client, salon
    ):
        appointment = await book(company_client, salon, local(3, 10))
        assert (await policy_check(other_client, appointment)).status_code == 404
        assert (await policy_check(company_client, {"id": 999_999})).status_code == 404
        invalid = await company_client.get(
            f"/api/v1/appointments/{appointment['id']}/policy-check", params={"action": "delete"}
        )
        assert invalid.status_code == 422
        await cancel(company_client, appointment)
        assert (await policy_check(company_client, appointment)).status_code == 409


async def test_other_tenants_cancel_is_404_and_records_nothing(
    company_client, other_client, salon, db
):
    appointment = await book(company_client, salon, local(3, 10))
    assert (await cancel(other_client, appointment, force=True)).status_code == 404
    async with db() as session:
        assert (await session.execute(select(Appointment.status))).scalar_one() == "confirmed"
    assert await modifications(db) == []
