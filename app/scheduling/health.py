"""Processing-time health: do today's appointments of split services have their phases?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import FeatureFlags
from app.db import utcnow
from app.scheduling.models import Appointment, AppointmentPhase, AppointmentStatus
from app.scheduling.phases import is_split, phase_rows
from app.tenancy.models import Branch, Company, Service
from app.tenancy.zones import zone_of
from app.timezones import local_day_bounds


@dataclass
class Orphan:
    appointment_id: int
    company_id: int
    service_id: int
    starts_at: datetime


@dataclass
class ProcessingTimeHealth:
    day: date | None
    split_appointments: int = 0
    with_phases: int = 0
    orphans: list[Orphan] = field(default_factory=list)
    fixed: int = 0

    @property
    def success_rate(self) -> float:
        if self.split_appointments == 0:
            return 1.0
        return round(self.with_phases / self.split_appointments, 4)

    @property
    def healthy(self) -> bool:
        return not self.orphans or self.fixed == len(self.orphans)

    def merge(self, other: ProcessingTimeHealth) -> None:
        self.split_appointments += other.split_appointments
        self.with_phases += other.with_phases
        self.orphans.extend(other.orphans)
        self.fixed += other.fixed


class ProcessingTimeHealthService:
    """Checks (and with `fix`, repairs) one company, or every company when none is given."""

    def __init__(
        self,
        session: AsyncSession,
        flags: FeatureFlags,
        company_id: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.flags = flags
        self.company_id = company_id
        self.clock = clock

    async def check(self, *, fix: bool = False) -> ProcessingTimeHealth:
        stmt = select(Company).where(Company.is_active.is_(True)).order_by(Company.id)
        if self.company_id is not None:
            stmt = stmt.where(Company.id == self.company_id)
        total = ProcessingTimeHealth(day=None)
        for company in (await self.session.execute(stmt)).scalars().all():
            report = await self._check_company(company, fix)
            if self.company_id is not None:
                return report
            total.merge(report)
        return total

    async def _check_company(self, company: Company, fix: bool) -> ProcessingTimeHealth:
        """Today's appointments, "today" being each branch's own day (DESIGN §2)."""
        now = self.clock()
        branches = (
            await self.session.execute(select(Branch).where(Branch.company_id == company.id))
        ).scalars()
        todays = []
        for branch in branches:
            tz = zone_of(branch, company)
            start, end = local_day_bounds(now.astimezone(tz).date(), tz)
            todays.append(
                and_(
                    Appointment.branch_id == branch.id,
                    Appointment.starts_at >= start,
                    Appointment.starts_at < end,
                )
            )
        report = ProcessingTimeHealth(day=now.astimezone(zone_of(None, company)).date())
        if not todays:
            return report
        has_phases = exists().where(AppointmentPhase.appointment_id == Appointment.id)
        rows = await self.session.execute(
            select(Appointment, Service, has_phases.label("has_phases"))
            .join(Service, Service.id == Appointment.service_id)
            .where(
                Appointment.company_id == company.id,
                Appointment.status != AppointmentStatus.CANCELLED,
                or_(*todays),
                Service.has_processing_time.is_(True),
            )
            .order_by(Appointment.starts_at)
        )
        for appointment, service, phased in rows:
            if not is_split(service, self.flags):
                continue
            report.split_appointments += 1
            if phased:
                report.with_phases += 1
                continue
            report.orphans.append(
                Orphan(appointment.id, company.id, service.id, appointment.starts_at)
            )
            if fix:
                self._rebuild(appointment, service)
                report.fixed += 1
        if report.fixed:
            await self.session.flush()
        return report

    def _rebuild(self, appointment: Appointment, service: Service) -> None:
        for row in phase_rows(
            service, appointment.company_id, appointment.staff_id, appointment.starts_at
        ):
            row.appointment_id = appointment.id
            self.session.add(row)
