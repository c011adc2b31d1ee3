"""The policy side of every cancel and reschedule: refuse, force, audit row and counters.

Counting without losing or overshooting under concurrency: the customer's row is locked
(SELECT ... FOR UPDATE; SQLite transactions already hold the write lock) before the quota is
read and the counter bumped, so two cancellations by one customer run one after the other
and the second sees the first's count. The lock is taken last, after the appointment and
staff rows: a new booking also locks the staff row before it touches the customer row (its
foreign-key check), so the two orders agree and cannot deadlock. The counter itself is an
atomic `count = count + 1`; a concurrent first insert of the day is caught by the unique key.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.db import utcnow
from app.policies.enforcement import (
    STAT_TYPE,
    Appointment,
    Enforcement,
    PolicyEnforcer,
    day_start,
)
from app.policies.errors import PolicyViolationError
from app.policies.models import AppointmentModification, AppointmentModificationStat
from app.policies.rules import Action, quota_keys
from app.policies.schemas import ModificationFilters
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.models import Customer


class ActorType(enum.StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    CALCOM = "calcom"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: staff (company API key), a customer (voice), Cal.com, the system."""

    type: ActorType
    id: str | None = None

    @property
    def enforced(self) -> bool:
        # A Cal.com webhook reports a change already made there: recorded, never refused.
        return self.type is not ActorType.CALCOM

    @property
    def may_force(self) -> bool:
        return self.type is ActorType.STAFF

    @classmethod
    def api_key(cls, key_id: int | None) -> Actor:
        return cls(ActorType.STAFF, f"api_key:{key_id}" if key_id is not None else None)

    @classmethod
    def calcom(cls, booking_uid: str | None = None) -> Actor:
        return cls(ActorType.CALCOM, booking_uid)


SYSTEM = Actor(ActorType.SYSTEM)


@dataclass(frozen=True)
class Permit:
    """A cancel or reschedule let through: within policy, or forced by staff."""

    enforcement: Enforcement
    force: bool


class ModificationPolicy:
    """What scheduling asks before a cancel or reschedule and reports after it."""

    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        actor: Actor = SYSTEM,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.company_id = company_id
        self.actor = actor
        self.clock = clock
        self.enforcer = PolicyEnforcer(session, company_id, cache, clock)

    async def check(self, appointment: Appointment, action: Action, *, force: bool) -> Permit:
        """Before the change, rules 1, 2 and 4: PolicyViolationError (422) unless allowed,
        forced by staff, or reported by Cal.com. The quota (rule 3) follows in `record`."""
        enforcement = await self.enforcer.evaluate(appointment, action, count_usage=False)
        self._refuse_unless_permitted(enforcement, force)
        return Permit(enforcement, force)

    async def record(
        self,
        appointment: Appointment,
        permit: Permit,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AppointmentModification:
        """After the change, in its transaction: with the customer locked, read the quota
        (rule 3; one read, which no concurrent change can outdate), then write the audit row
        and count it."""
        await self._lock_customer(appointment.customer_id)
        enforcement = permit.enforcement
        if enforcement.policy.has_policy and any(
            quota_keys(enforcement.action, enforcement.policy.config)
        ):
            usage = await self.enforcer.usage(appointment, enforcement.action, enforcement.policy)
            enforcement = enforcement.with_usage(usage)
            self._refuse_unless_permitted(enforcement, permit.force)
        return await self._write(appointment, enforcement, reason, details or {})

    async def record_external(
        self,
        appointment: Appointment,
        action: Action,
        *,
        reason: str | None = None,
        starts_at: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> AppointmentModification:
        """Record a cancel or reschedule already made elsewhere (a Cal.com webhook), without
        enforcement: the policy is evaluated only to note whether it was kept and its fee.
        `starts_at` is the start the notice is measured to (for a reschedule already
        applied: the old start)."""
        await self._lock_customer(appointment.customer_id)
        enforcement = await self.enforcer.evaluate(appointment, action, starts_at=starts_at)
        return await self._write(appointment, enforcement, reason, details or {})

    def _refuse_unless_permitted(self, enforcement: Enforcement, force: bool) -> None:
        if enforcement.allowed or not self.actor.enforced:
            return
        if force and self.actor.may_force:
            return
        raise PolicyViolationError(enforcement.decision.message, enforcement.as_body())

    async def _lock_customer(self, customer_id: int) -> None:
        await self.session.execute(
            select(Customer.id)
            .where(Customer.id == customer_id, Customer.company_id == self.company_id)
            .with_for_update()
        )

    async def _write(
        self,
        appointment: Appointment,
        enforcement: Enforcement,
        reason: str | None,
        details: dict[str, Any],
    ) -> AppointmentModification:
        decision = enforcement.decision
        details = {
            "reason_code": str(decision.code),
            "hours_notice": decision.hours_notice,
            "policy_ids": [source.policy_id for source in enforcement.policy.applied],
            **details,
        }
        if not self.actor.enforced:
            details["enforced"] = False
        elif not decision.allowed:
            details["forced"] = True
        modification = AppointmentModification(
            company_id=self.company_id,
            appointment_id=appointment.id,
            customer_id=appointment.customer_id,
            modification_type=enforcement.action,
            within_policy=decision.allowed,
            fee_charged=decision.fee,
            reason=reason,
            modified_by_type=self.actor.type,
            modified_by_id=self.actor.id,
            details=details,
        )
        self.session.add(modification)
        tz = await self.enforcer.zone(appointment)
        await self._count(appointment.customer_id, STAT_TYPE[enforcement.action], tz)
        await self.session.flush()
        return modification

    async def _count(self, customer_id: int, stat_type: str, tz: ZoneInfo) -> None:
        period = day_start(self.clock(), tz)
        matches = (
            AppointmentModificationStat.company_id == self.company_id,
            AppointmentModificationStat.customer_id == customer_id,
            AppointmentModificationStat.stat_type == stat_type,
            AppointmentModificationStat.period_start == period,
        )
        bump = (
            update(AppointmentModificationStat)
            .where(*matches)
            .values(count=AppointmentModificationStat.count + 1)
        )
        if (await self.session.execute(bump)).rowcount:  # type: ignore[attr-defined]
            return
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    insert(AppointmentModificationStat).values(
                        company_id=self.company_id,
                        customer_id=customer_id,
                        stat_type=stat_type,
                        period_start=period,
                        period_end=day_start(period + timedelta(hours=36), tz),
                        count=1,
                    )
                )
        except IntegrityError:
            # Another transaction created today's counter first; add to it instead.
            await self.session.execute(bump)


class ModificationHistory(TenantScoped):
    async def for_appointment(self, appointment_id: int, filters: ModificationFilters) -> Page[Any]:
        """The caller has checked that the appointment is the company's."""
        return await self._page(AppointmentModification.appointment_id == appointment_id, filters)

    async def for_customer(self, customer_id: int, filters: ModificationFilters) -> Page[Any]:
        await self.get_or_404(Customer, customer_id)
        return await self._page(AppointmentModification.customer_id == customer_id, filters)

    async def _page(self, condition: Any, filters: ModificationFilters) -> Page[Any]:
        stmt = self.scoped(AppointmentModification).where(condition)
        if filters.modification_type is not None:
            stmt = stmt.where(
                AppointmentModification.modification_type == filters.modification_type
            )
        stmt = stmt.order_by(
            AppointmentModification.created_at.desc(), AppointmentModification.id.desc()
        )
        return await self.paginate(stmt, filters.limit, filters.offset)
