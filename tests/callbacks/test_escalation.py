"""The escalation job: overdue open requests are escalated once per SLA period and handed to
the company's escalation contact or another staff member of their branch; two runs at once
escalate each request once (SKIP LOCKED on MariaDB, the write lock on SQLite)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.callbacks.escalation import EscalationSummary, escalate_overdue
from app.callbacks.models import CallbackRequest
from app.tenancy.models import Company, Staff
from tests import factories
from tests.callbacks.conftest import created, escalations, stored
from tests.conftest import MYSQL_URL, requires_mysql
from tests.salon import NOW

DAY = timedelta(days=1)


async def run(db, clock, **options) -> EscalationSummary:
    return await escalate_overdue(db, clock=clock, **options)


async def test_an_overdue_request_is_escalated_once_and_reassigned(
    company_client, clock, db, salon
):
    callback = await created(company_client, priority="normal")
    clock.advance(days=1, minutes=1)

    lines: list[str] = []
    summary = await run(db, clock, progress=lines.append)

    assert (summary.escalated, summary.skipped) == (1, 0)
    assert summary.line == "escalated 1, skipped 0"
    (escalation,) = await escalations(db, callback["id"])
    assert escalation.escalation_reason == "sla_breach"
    assert (escalation.escalated_from, escalation.escalated_to) == (None, salon.anna_id)
    assert escalation.escalated_at == clock.now
    assert escalation.company_id == salon.company_id
    row = await stored(db, callback["id"])
    assert (row.status, row.assigned_to, row.assigned_at) == ("assigned", salon.anna_id, clock.now)
    assert row.expires_at == NOW + DAY  # the deadline stays: it is still overdue
    where = f"callback {callback['id']} (company {salon.company_id})"
    assert lines == [f"{where}: sla_breach, to staff {salon.anna_id}"]

    again = await run(db, clock)
    assert again.line == "escalated 0, skipped 1"
    assert len(await escalations(db)) == 1
    listed = (await company_client.get("/api/v1/callbacks", params={"overdue": "true"})).json()
    assert [item["id"] for item in listed["items"]] == [callback["id"]]


async def test_nothing_is_due_before_the_deadline(company_client, clock, db, salon):
    await created(company_client, priority="urgent")
    clock.advance(minutes=59)
    assert (await run(db, clock)).line == "escalated 0, skipped 0"
    clock.advance(minutes=1)  # exactly at the deadline
    assert (await run(db, clock)).escalated == 1


async def test_the_deadline_follows_the_companys_sla(
    company_client, other_client, clock, db, salon
):
    patch = {"settings": {"callback_sla_minutes": {"urgent": 10}}}
    assert (await company_client.patch("/api/v1/company", json=patch)).status_code == 200
    ours = await created(company_client, priority="urgent")
    await created(other_client, priority="urgent")
    clock.advance(minutes=10)

    assert (await run(db, clock)).escalated == 1
    assert [e.callback_request_id for e in await escalations(db)] == [ours["id"]]


@pytest.mark.parametrize("action", ["complete", "cancel"])
async def test_closed_requests_are_never_escalated(company_client, clock, db, salon, action):
    callback = await created(company_client, priority="urgent")
    await company_client.post(f"/api/v1/callbacks/{callback['id']}/{action}")
    clock.advance(days=3)
    assert (await run(db, clock)).line == "escalated 0, skipped 0"
    assert await escalations(db) == []


async def test_an_expired_request_is_never_escalated(company_client, clock, db, salon):
    callback = await created(company_client, priority="urgent")
    async with db() as session:
        await session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id == callback["id"])
            .values(status="expired")
        )
        await session.commit()
    clock.advance(days=3)
    assert (await run(db, clock)).escalated == 0


async def test_it_is_escalated_again_only_after_one_sla_period(company_client, clock, db, salon):
    callback = await created(company_client, priority="urgent")  # SLA 60 minutes
    clock.advance(minutes=61)
    assert (await run(db, clock)).escalated == 1
    clock.advance(minutes=59)
    assert (await run(db, clock)).line == "escalated 0, skipped 1"
    clock.advance(minutes=1)
    assert (await run(db, clock)).line == "escalated 1, skipped 0"

    first, second = await escalations(db, callback["id"])
    assert second.escalated_at - first.escalated_at == timedelta(minutes=60)
    # The second goes from the first's target to someone else of the branch.
    assert (second.escalated_from, second.escalated_to) == (salon.anna_id, salon.ben_id)


async def test_a_manual_escalation_counts_as_the_latest(company_client, clock, db, salon):
    callback = await created(company_client, priority="urgent")
    clock.advance(minutes=61)
    response = await company_client.post(
        f"/api/v1/callbacks/{callback['id']}/escalate", json={"to_staff_id": salon.ben_id}
    )
    assert response.status_code == 200
    assert (await run(db, clock)).line == "escalated 0, skipped 1"


async def test_three_failed_attempts_escalate_as_multiple_attempts_failed(
    company_client, clock, db, salon
):
    few = await created(company_client, phone="+4915100000001", priority="urgent")
    many = await created(company_client, phone="+4915100000002", priority="urgent")
    for _ in range(2):
        await company_client.post(f"/api/v1/callbacks/{few['id']}/contacted")
    for _ in range(3):
        await company_client.post(f"/api/v1/callbacks/{many['id']}/contacted")
    clock.advance(minutes=60)

    assert (await run(db, clock)).escalated == 2

    reasons = {e.callback_request_id: e.escalation_reason for e in await escalations(db)}
    assert reasons == {few["id"]: "sla_breach", many["id"]: "multiple_attempts_failed"}
    row = await stored(db, many["id"])
    assert (row.status, row.assigned_to, row.attempts) == ("assigned", salon.anna_id, 3)


async def test_the_companys_escalation_contact_takes_it(company_client, clock, db, salon):
    patch = {"settings": {"callback_escalation_staff_id": salon.ben_id}}
    assert (await company_client.patch("/api/v1/company", json=patch)).status_code == 200
    callback = await created(company_client, priority="urgent")
    await company_client.post(
        f"/api/v1/callbacks/{callback['id']}/assign", json={"staff_id": salon.anna_id}
    )
    clock.advance(minutes=60)

    await run(db, clock)

    (escalation,) = await escalations(db)
    assert (escalation.escalated_from, escalation.escalated_to) == (salon.anna_id, salon.ben_id)
    assert (await stored(db, callback["id"])).assigned_to == salon.ben_id


async def test_an_inactive_or_foreign_escalation_contact_falls_back_to_the_branch(
    company_client, clock, db, salon, other_tenant
):
    """PATCH refuses such a contact, but one can become so after it was set: the contact
    leaves (deactivated), or a value was stored before that check existed (written here
    directly)."""
    foreign = await factories.make_staff(db, other_tenant.company_id, other_tenant.branch_id)
    leaving = await factories.make_staff(db, salon.company_id, salon.branch_id, name="Gone")
    patch = {"settings": {"callback_escalation_staff_id": leaving.id}}
    assert (await company_client.patch("/api/v1/company", json=patch)).status_code == 200
    async with db() as session:
        (await session.get(Staff, leaving.id)).is_active = False
        await session.commit()
    for contact in (leaving.id, foreign.id):
        async with db() as session:
            company = await session.get(Company, salon.company_id)
            company.settings = {**company.settings, "callback_escalation_staff_id": contact}
            await session.commit()
        callback = await created(company_client, priority="urgent")
        clock.advance(minutes=60)
        await run(db, clock)
        (escalation,) = await escalations(db, callback["id"])
        assert escalation.escalated_to == salon.anna_id, contact
        await company_client.post(f"/api/v1/callbacks/{callback['id']}/complete")


async def test_the_branch_fallback_skips_the_current_assignee_and_other_branches(
    company_client, clock, db, salon
):
    north = await factories.make_branch(db, salon.company_id, name="Nord")
    await factories.make_staff(db, salon.company_id, north.id, name="Zoe")  # lowest id elsewhere
    callback = await created(company_client, priority="urgent")
    await company_client.post(
        f"/api/v1/callbacks/{callback['id']}/assign", json={"staff_id": salon.anna_id}
    )
    clock.advance(minutes=60)
    await run(db, clock)
    (escalation,) = await escalations(db)
    assert (escalation.escalated_from, escalation.escalated_to) == (salon.anna_id, salon.ben_id)


async def test_with_nobody_to_take_it_the_escalation_is_still_recorded(
    company_client, clock, db, salon
):
    north = await factories.make_branch(db, salon.company_id, name="Nord")
    zoe = await factories.make_staff(db, salon.company_id, north.id, name="Zoe")
    callback = await created(company_client, priority="urgent", staff_id=zoe.id)
    await company_client.post(
        f"/api/v1/callbacks/{callback['id']}/assign", json={"staff_id": zoe.id}
    )
    clock.advance(minutes=60)

    assert (await run(db, clock)).escalated == 1

    (escalation,) = await escalations(db)
    assert (escalation.escalated_from, escalation.escalated_to) == (zoe.id, None)
    row = await stored(db, callback["id"])
    assert (row.status, row.assigned_to) == ("assigned", zoe.id)  # left as it was


async def test_one_company_only(company_client, other_client, clock, db, other_tenant, salon):
    await created(company_client, priority="urgent")
    theirs = await created(other_client, priority="urgent")
    clock.advance(minutes=60)

    summary = await run(db, clock, company_id=other_tenant.company_id)

    assert summary.escalated == 1
    assert [e.callback_request_id for e in await escalations(db)] == [theirs["id"]]
    assert (await stored(db, theirs["id"])).status == "pending"  # nobody works there


async def test_escalations_are_shown_with_the_request(company_client, clock, db, salon):
    callback = await created(company_client, priority="urgent")
    clock.advance(minutes=60)
    await run(db, clock)
    body = (await company_client.get(f"/api/v1/callbacks/{callback['id']}")).json()
    assert body["overdue"] is True
    (escalation,) = body["escalations"]
    assert escalation["escalation_reason"] == "sla_breach"
    assert escalation["escalated_to"] == salon.anna_id


# --- concurrency -------------------------------------------------------------------------

PER_COMPANY = 10 if MYSQL_URL else 5


async def _overdue_requests(company_client, other_client, clock) -> list[int]:
    ids = []
    for client in (company_client, other_client):
        for i in range(PER_COMPANY):
            ids.append(
                (await created(client, phone=f"+49151{20000000 + i:08d}", priority="urgent"))["id"]
            )
    clock.advance(minutes=60)
    return ids


@pytest.mark.committed
async def test_two_concurrent_runs_escalate_each_request_once(
    company_client, other_client, clock, db, salon
):
    """On every backend: SKIP LOCKED on MariaDB, the write lock on SQLite."""
    ids = await _overdue_requests(company_client, other_client, clock)

    first, second = await asyncio.gather(run(db, clock), run(db, clock))

    assert first.escalated + second.escalated == len(ids)
    per_request = [e.callback_request_id for e in await escalations(db)]
    assert sorted(per_request) == sorted(ids)
    third = await run(db, clock)
    assert (third.escalated, third.skipped) == (0, len(ids))


@requires_mysql()
@pytest.mark.committed
async def test_a_request_locked_elsewhere_is_skipped_not_waited_for(
    company_client, other_client, clock, db, salon
):
    """MariaDB: the job's SELECT ... FOR UPDATE SKIP LOCKED passes over a row another
    transaction holds (an API change, another run) and leaves it to the next run."""
    ids = await _overdue_requests(company_client, other_client, clock)
    held = ids[3]

    async with db() as holder:
        locked = select(CallbackRequest).where(CallbackRequest.id == held).with_for_update()
        await holder.execute(locked)
        summary = await asyncio.wait_for(run(db, clock), timeout=20)
        await holder.commit()

    assert summary.escalated == len(ids) - 1
    assert held not in [e.callback_request_id for e in await escalations(db)]
    later = await run(db, clock)
    assert (later.escalated, later.skipped) == (1, len(ids) - 1)
    assert sorted(e.callback_request_id for e in await escalations(db)) == sorted(ids)
