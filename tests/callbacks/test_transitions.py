"""Every status change from every status: allowed ones and what they record, refused ones
(409 naming the current status), another company's id (404), and the listing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.callbacks.models import CallbackRequest
from tests import factories
from tests.callbacks.conftest import created, escalations, moment, stored
from tests.salon import NOW

STATUSES = ["pending", "assigned", "contacted", "completed", "cancelled", "expired"]
ALLOWED = {
    "assign": {"pending", "assigned"},
    "contacted": {"pending", "assigned", "contacted"},
    "complete": {"pending", "assigned", "contacted"},
    "cancel": {"pending", "assigned", "contacted"},
    "escalate": {"pending", "assigned", "contacted"},
}
RESULT = {
    "assign": "assigned",
    "contacted": "contacted",
    "complete": "completed",
    "cancel": "cancelled",
}


def url(callback_id: int, action: str | None = None) -> str:
    return f"/api/v1/callbacks/{callback_id}" + (f"/{action}" if action else "")


async def in_status(client, db, salon, status: str) -> dict[str, Any]:
    """A request brought to `status` through the API (`expired` has no endpoint: set)."""
    body = await created(client, phone="0151 12345678")
    steps = {
        "pending": [],
        "assigned": [("assign", {"staff_id": salon.anna_id})],
        "contacted": [("contacted", {})],
        "completed": [("complete", {})],
        "cancelled": [("cancel", {})],
        "expired": [],
    }[status]
    for action, payload in steps:
        response = await client.post(url(body["id"], action), json=payload)
        assert response.status_code == 200, response.text
    if status == "expired":
        async with db() as session:
            await session.execute(
                update(CallbackRequest)
                .where(CallbackRequest.id == body["id"])
                .values(status="expired")
            )
            await session.commit()
    return (await client.get(url(body["id"]))).json()


def payload(action: str, salon) -> dict[str, Any]:
    return {"assign": {"staff_id": salon.ben_id}}.get(action, {})


CASES = [(action, status) for action in ALLOWED for status in STATUSES]


@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
async def test_every_action_from_every_status(company_client, clock, db, salon, action, status):
    callback = await in_status(company_client, db, salon, status)
    assert callback["status"] == status

    response = await company_client.post(url(callback["id"], action), json=payload(action, salon))

    if status in ALLOWED[action]:
        assert response.status_code == 200, response.text
        expected = RESULT.get(action, status)  # escalating without a target keeps the status
        assert response.json()["status"] == expected
        assert (await stored(db, callback["id"])).status == expected
    else:
        assert response.status_code == 409, response.text
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["type"].endswith("/invalid-status-transition")
        assert problem["current_status"] == status
        assert status in problem["detail"]
        assert (await stored(db, callback["id"])).status == status


async def test_assign_records_who_and_when_and_can_reassign(company_client, clock, salon):
    callback = await created(company_client)
    clock.advance(minutes=5)
    first = (
        await company_client.post(url(callback["id"], "assign"), json={"staff_id": salon.anna_id})
    ).json()
    assert (first["status"], first["assigned_to"]) == ("assigned", salon.anna_id)
    assert moment(first["assigned_at"]) == NOW + timedelta(minutes=5)
    clock.advance(minutes=5)
    again = (
        await company_client.post(url(callback["id"], "assign"), json={"staff_id": salon.ben_id})
    ).json()
    assert again["assigned_to"] == salon.ben_id
    assert moment(again["assigned_at"]) == NOW + timedelta(minutes=10)


async def test_assign_refuses_unknown_foreign_or_inactive_staff(
    company_client, clock, db, salon, other_tenant
):
    callback = await created(company_client)
    foreign = await factories.make_staff(db, other_tenant.company_id, other_tenant.branch_id)
    gone = await factories.make_staff(db, salon.company_id, salon.branch_id, is_active=False)
    for staff_id in (foreign.id, 999_999, gone.id):
        response = await company_client.post(
            url(callback["id"], "assign"), json={"staff_id": staff_id}
        )
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["body.staff_id"]
    assert (await stored(db, callback["id"])).status == "pending"


async def test_assign_needs_a_staff_id(company_client, clock):
    callback = await created(company_client)
    for body in ({}, None):
        response = await company_client.post(url(callback["id"], "assign"), json=body)
        assert response.status_code == 422


async def test_each_contact_attempt_counts_and_keeps_the_request_open(company_client, clock):
    callback = await created(company_client, reason="colour")
    for attempt in range(1, 4):
        clock.advance(minutes=10)
        body = (
            await company_client.post(
                url(callback["id"], "contacted"), json={"notes": f"no answer {attempt}"}
            )
        ).json()
        assert (body["status"], body["attempts"]) == ("contacted", attempt)
        assert moment(body["contacted_at"]) == NOW + timedelta(minutes=10 * attempt)
    assert body["notes"] == "colour\nno answer 1\nno answer 2\nno answer 3"
    # Without a body too.
    response = await company_client.post(url(callback["id"], "contacted"))
    assert response.json()["attempts"] == 4


async def test_complete_records_when_and_resolves_the_escalations(company_client, clock, db):
    callback = await created(company_client)
    await company_client.post(url(callback["id"], "escalate"), json={"reason": "angry"})
    clock.advance(minutes=30)
    body = (
        await company_client.post(url(callback["id"], "complete"), json={"notes": "booked"})
    ).json()
    assert body["status"] == "completed"
    assert moment(body["completed_at"]) == NOW + timedelta(minutes=30)
    assert body["notes"] == "Escalated: angry\nbooked"
    (escalation,) = body["escalations"]
    assert moment(escalation["resolved_at"]) == NOW + timedelta(minutes=30)
    assert escalation["resolution_notes"] == "completed"


async def test_cancel_adds_the_reason_and_resolves_the_escalations(company_client, clock):
    callback = await created(company_client, reason="colour")
    await company_client.post(url(callback["id"], "escalate"))
    body = (
        await company_client.post(url(callback["id"], "cancel"), json={"reason": "booked online"})
    ).json()
    assert body["status"] == "cancelled"
    assert body["notes"] == "colour\nCancelled: booked online"
    assert body["escalations"][0]["resolution_notes"] == "cancelled"
    assert body["overdue"] is False


async def test_a_manual_escalation_is_recorded_and_hands_the_request_over(
    company_client, clock, db, salon
):
    callback = await created(company_client)
    await company_client.post(url(callback["id"], "assign"), json={"staff_id": salon.anna_id})
    clock.advance(minutes=15)

    body = (
        await company_client.post(
            url(callback["id"], "escalate"),
            json={"reason": "VIP", "to_staff_id": salon.ben_id},
        )
    ).json()

    assert (body["status"], body["assigned_to"]) == ("assigned", salon.ben_id)
    assert moment(body["assigned_at"]) == NOW + timedelta(minutes=15)
    (escalation,) = body["escalations"]
    assert escalation["escalation_reason"] == "manual_escalation"
    assert (escalation["escalated_from"], escalation["escalated_to"]) == (
        salon.anna_id,
        salon.ben_id,
    )
    assert moment(escalation["escalated_at"]) == NOW + timedelta(minutes=15)
    assert escalation["resolved_at"] is None
    assert len(await escalations(db, callback["id"])) == 1


async def test_a_manual_escalation_without_a_target_keeps_the_assignment(
    company_client, clock, salon
):
    callback = await created(company_client)
    await company_client.post(url(callback["id"], "contacted"))
    body = (await company_client.post(url(callback["id"], "escalate"))).json()
    assert (body["status"], body["assigned_to"]) == ("contacted", None)
    assert body["escalations"][0]["escalated_to"] is None


async def test_a_manual_escalation_to_unknown_or_inactive_staff_is_422(
    company_client, clock, db, salon
):
    callback = await created(company_client)
    gone = await factories.make_staff(db, salon.company_id, salon.branch_id, is_active=False)
    for staff_id in (999_999, gone.id):
        response = await company_client.post(
            url(callback["id"], "escalate"), json={"to_staff_id": staff_id}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.to_staff_id"
    assert await escalations(db) == []


FOREIGN = [
    ("GET", None, None),
    ("POST", "assign", {"staff_id": 1}),
    ("POST", "contacted", {}),
    ("POST", "complete", {}),
    ("POST", "cancel", {}),
    ("POST", "escalate", {}),
]


@pytest.mark.parametrize(("method", "action", "body"), FOREIGN)
async def test_another_companys_request_answers_404_like_an_unknown_one(
    company_client, other_client, other_tenant, clock, db, salon, method, action, body
):
    ours = await created(company_client)
    before = await stored(db, ours["id"])
    if body and "staff_id" in body:  # a staff member of the caller's own company
        theirs = await factories.make_staff(db, other_tenant.company_id, other_tenant.branch_id)
        body = {"staff_id": theirs.id}

    foreign = await other_client.request(method, url(ours["id"], action), json=body)
    unknown = await other_client.request(method, url(999_999, action), json=body)

    assert foreign.status_code == unknown.status_code == 404, foreign.text
    assert foreign.json()["detail"].replace(str(ours["id"]), "N") == unknown.json()[
        "detail"
    ].replace("999999", "N")
    after = await stored(db, ours["id"])
    assert (after.status, after.updated_at, after.attempts) == (
        before.status,
        before.updated_at,
        before.attempts,
    )
    assert await escalations(db) == []


async def test_get_answers_the_request_with_its_escalations(company_client, clock, salon):
    callback = await created(company_client)
    await company_client.post(url(callback["id"], "escalate"), json={"to_staff_id": salon.ben_id})
    await company_client.post(url(callback["id"], "escalate"), json={"to_staff_id": salon.anna_id})
    body = (await company_client.get(url(callback["id"]))).json()
    assert [e["escalated_to"] for e in body["escalations"]] == [salon.ben_id, salon.anna_id]
    assert body["merged"] is False


class TestListing:
    async def test_filters(self, company_client, other_client, clock, db, salon):
        north = await factories.make_branch(db, salon.company_id, name="Nord")
        urgent = await created(company_client, phone="+4915100000001", priority="urgent")
        high = await created(company_client, phone="+4915100000002", priority="high")
        normal = await created(
            company_client, phone="+4915100000003", priority="normal", branch_id=north.id
        )
        done = await created(company_client, phone="+4915100000004", priority="urgent")
        await company_client.post(url(high["id"], "assign"), json={"staff_id": salon.ben_id})
        await company_client.post(url(done["id"], "complete"))
        await created(other_client, phone="+4915100000005")
        clock.advance(minutes=61)  # urgent ones are past their deadline

        async def ids(**params: Any) -> list[int]:
            response = await company_client.get("/api/v1/callbacks", params=params)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        # Earliest deadline first; another company's request is never listed.
        assert await ids() == [urgent["id"], done["id"], high["id"], normal["id"]]
        assert await ids(status="pending") == [urgent["id"], normal["id"]]
        assert await ids(priority="urgent") == [urgent["id"], done["id"]]
        assert await ids(overdue="true") == [urgent["id"]]  # the completed one is not
        assert await ids(overdue="false") == [done["id"], high["id"], normal["id"]]
        assert await ids(assigned_to=salon.ben_id) == [high["id"]]
        assert await ids(branch_id=north.id) == [normal["id"]]
        listed = (await company_client.get("/api/v1/callbacks", params={"limit": 1})).json()
        assert (listed["total"], listed["limit"], len(listed["items"])) == (4, 1, 1)
        assert listed["items"][0]["overdue"] is True

    async def test_bad_filters_are_422_naming_them(self, company_client):
        for params, field in [
            ({"status": "lost"}, "status"),
            ({"priority": "asap"}, "priority"),
            ({"overdue": "maybe"}, "overdue"),
            ({"assigned_to": 2**31}, "assigned_to"),
        ]:
            response = await company_client.get("/api/v1/callbacks", params=params)
            assert response.status_code == 422, params
            assert response.json()["errors"][0]["field"].endswith(field)
