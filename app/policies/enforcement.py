"""Enforcement: gathers what rules 1-4 need for one appointment (policy, notice, usage, price).

The quota read is one statement: the customer's daily counters of the rolling window summed
in appointment_modification_stats and, for reschedules, this appointment's reschedules
counted in the audit trail (indexed by appointment), as scalar subqueries of one SELECT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.db import utcnow
from app.policies.models import (
    AppointmentModification,
    AppointmentModificationStat,
    PolicyType,
)
from app.policies.resolver import EffectivePolicy, PolicyResolver
from app.policies.rules import (
    QUOTA_WINDOW_DAYS,
    Action,
    Decision,
    Usage,
    decide,
    hours_notice,
    quota_keys,
)
from app.repository import TenantScoped
from app.tenancy.models import Branch, Company, Service
from app.tenancy.zones import zone_of
from app.timezones import local_day_bounds


class Appointment(Protocol):
    """What the rules need to know of an appointment (scheduling's model has it all);
    policies sit below scheduling and never import it."""

    id: int
    customer_id: int
    branch_id: int
    service_id: int
    staff_id: int
    starts_at: datetime


POLICY_TYPE = {Action.CANCEL: PolicyType.CANCELLATION, Action.RESCHEDULE: PolicyType.RESCHEDULE}
STAT_TYPE = {Action.CANCEL: "cancel_count", Action.RESCHEDULE: "reschedule_count"}


def day_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Counters are kept per local day of the appointment's branch (`zone_of`); the day a
    modification happened is its period, stored as the UTC instant of its midnight."""
    return local_day_bounds(moment.astimezone(tz).date(), tz)[0]


def window_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The rolling window is today and the 29 local days before it: 30 daily counters."""
    today = now.astimezone(tz).date()
    return local_day_bounds(today - timedelta(days=QUOTA_WINDOW_DAYS - 1), tz)[0]


@dataclass(frozen=True)
class Enforcement:
    """A decision with what it was made from, so it can be re-made under a lock."""

    action: Action
    decision: Decision
    policy: EffectivePolicy
    notice: float
    price: Decimal | None

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def with_usage(self, usage: Usage) -> Enforcement:
        decision = decide(
            self.action,
            self.policy.config,
            has_policy=self.policy.has_policy,
            notice=self.notice,
            usage=usage,
            price=self.price,
        )
        return replace(self, decision=decision)

    def as_body(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "allowed": self.decision.allowed,
            "reason": {"code": str(self.decision.code), "message": self.decision.message},
            "fee": str(self.decision.fee),
            "hours_notice": self.decision.hours_notice,
            "policy": self.policy.to_dict(),
        }


class PolicyEnforcer(TenantScoped):
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(session, company_id)
        self.resolver = PolicyResolver(session, company_id, cache)
        self.clock = clock
        self._zones: dict[int, ZoneInfo] = {}

    async def evaluate(
        self,
        appointment: Appointment,
        action: Action,
        *,
        starts_at: datetime | None = None,
        count_usage: bool = True,
    ) -> Enforcement:
        """Rules 1-4 for `appointment`; notice is measured to `starts_at` (default: its
        current start, i.e. before a reschedule moves it). Without `count_usage` rule 3 is
        left to a later `with_usage`, made under the customer lock."""
        policy = await self.resolver.for_appointment(POLICY_TYPE[action], appointment)
        notice = hours_notice(starts_at or appointment.starts_at, self.clock())
        config = policy.config
        needs_price = config.get("fee") is None and config.get("fee_percentage") is not None
        price = await self._price(appointment.service_id) if needs_price else None
        counted = count_usage and policy.has_policy
        usage = await self.usage(appointment, action, policy) if counted else Usage()
        decision = decide(
            action,
            config,
            has_policy=policy.has_policy,
            notice=notice,
            usage=usage,
            price=price,
        )
        return Enforcement(action, decision, policy, notice, price)

    async def usage(
        self, appointment: Appointment, action: Action, policy: EffectivePolicy
    ) -> Usage:
        monthly, per_appointment = quota_keys(action, policy.config)
        if monthly is None and per_appointment is None:
            return Usage()
        counts: dict[str, Any] = {}
        if monthly is not None:
            counts["in_window"] = (
                select(func.coalesce(func.sum(AppointmentModificationStat.count), 0))
                .where(
                    AppointmentModificationStat.company_id == self.company_id,
                    AppointmentModificationStat.customer_id == appointment.customer_id,
                    AppointmentModificationStat.stat_type == STAT_TYPE[action],
                    AppointmentModificationStat.period_start
                    >= window_start(self.clock(), await self.zone(appointment)),
                )
                .scalar_subquery()
            )
        if per_appointment is not None:
            counts["of_appointment"] = (
                select(func.count())
                .select_from(AppointmentModification)
                .where(
                    AppointmentModification.appointment_id == appointment.id,
                    AppointmentModification.modification_type == action,
                )
                .scalar_subquery()
            )
        row = (await self.session.execute(select(*counts.values()))).one()
        return Usage(**{name: int(value) for name, value in zip(counts, row, strict=True)})

    async def zone(self, appointment: Appointment) -> ZoneInfo:
        """The zone of the appointment's branch: its days are the quota's days."""
        if appointment.branch_id not in self._zones:
            row = (
                await self.session.execute(
                    select(Branch, Company)
                    .join(Company, Company.id == Branch.company_id)
                    .where(Branch.id == appointment.branch_id, Branch.company_id == self.company_id)
                )
            ).one()
            self._zones[appointment.branch_id] = zone_of(*row)
        return self._zones[appointment.branch_id]

    async def _price(self, service_id: int) -> Decimal | None:
        service = await self.session.get(Service, service_id)
        return service.price if service is not None else None
