"""Helpers for the policy API tests: set and read policies, book, move the clock, read rows."""

from datetime import datetime, timedelta

from sqlalchemy import select

from app.policies.models import AppointmentModification, AppointmentModificationStat
from tests.salon import Salon, booking

SALON_POLICY = {
    "hours_before": 24,
    "fee_tiers": [{"min_hours": 24, "fee": 10}, {"min_hours": 48, "fee": 0}],
    "max_cancellations_per_month": 3,
}


def entity_id(salon: Salon, level: str) -> int:
    return {
        "company": salon.company_id,
        "branch": salon.branch_id,
        "service": salon.cut_id,
        "staff": salon.anna_id,
    }[level]


async def put_policy(client, level, entity, policy_type="cancellation", config=None, **extra):
    return await client.put(
        f"/api/v1/policies/{level}/{entity}/{policy_type}",
        json={"config": config if config is not None else {}, **extra},
    )


async def set_policy(client, level, entity, policy_type="cancellation", config=None, **extra):
    response = await put_policy(client, level, entity, policy_type, config, **extra)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def effective(client, policy_type="cancellation", **ids):
    response = await client.get(
        "/api/v1/policies/effective", params={"policy_type": policy_type, **ids}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def book(client, salon, start, **kwargs) -> dict:
    response = await client.post("/api/v1/appointments", json=booking(salon, start, **kwargs))
    assert response.status_code == 201, response.text
    return response.json()


def pin_clock(app, moment: datetime) -> None:
    app.state.now = lambda: moment


def hours_before(appointment: dict, hours: float) -> datetime:
    """The moment `hours` before the appointment starts."""
    return datetime.fromisoformat(appointment["starts_at"]) - timedelta(hours=hours)


async def modifications(db, **filters) -> list[AppointmentModification]:
    async with db() as session:
        stmt = select(AppointmentModification).filter_by(**filters)
        return list((await session.execute(stmt.order_by(AppointmentModification.id))).scalars())


async def stats(db, **filters) -> list[AppointmentModificationStat]:
    async with db() as session:
        stmt = select(AppointmentModificationStat).filter_by(**filters)
        return list((await session.execute(stmt)).scalars())
