"""Booking, rescheduling, cancelling and changing appointments without double booking.

Every write that takes staff time locks the staff member's row (SELECT ... FOR UPDATE; on
SQLite the transaction already holds the write lock), re-reads their busy intervals and only
then inserts, so of N concurrent requests for one slot exactly one succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.cache import Cache
from app.calcom.client import CalcomClient
from app.calcom.sync import CalendarSync
from app.config import FeatureFlags
from app.db import utcnow
from app.e164 import normalise_phone
from app.errors import ValidationFailedError
from app.policies.modifications import ModificationPolicy
from app.policies.rules import Action
from app.repository import TenantScoped
from app.scheduling.availability import AvailabilityService, SlotQuery
from app.scheduling.errors import InvalidStatusTransitionError, SlotUnavailableError
from app.scheduling.intervals import Interval
from app.scheduling.models import (
    MODIFIABLE_STATUSES,
    Appointment,
    AppointmentPhase,
    AppointmentSource,
    AppointmentStatus,
)
from app.scheduling.phases import move_appointment, phases_for
from app.scheduling.schemas import (
    AppointmentCreate,
    AppointmentFilters,
    AppointmentRead,
    AppointmentReschedule,
    AppointmentUpdate,
    InlineCustomer,
    PhaseRead,
)
from app.scheduling.slots import Unavailability
from app.schemas import Page
from app.tenancy.company_settings import CompanySettings
from app.tenancy.customers import CustomerService
from app.tenancy.models import Company, Customer, Staff
from app.timezones import day_with_neighbours, to_utc

# Refused as bad input (422); every other reason means "not free" (409 with alternatives).
INPUT_ERRORS = {
    Unavailability.IN_THE_PAST: "must be in the future",
    Unavailability.OFF_GRID: "must be on the booking grid of {grid} minutes",
}


class BookingService(TenantScoped):
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        flags: FeatureFlags,
        *,
        default_region: str = "DE",
        clock: Callable[[], datetime] = utcnow,
        policy: ModificationPolicy | None = None,
        calcom: CalcomClient | None = None,
    ) -> None:
        super().__init__(session, company_id)
        self.flags = flags
        self.default_region = default_region
        self.availability = AvailabilityService(session, company_id, cache, flags, clock)
        # Cancel and reschedule rules, fees and the audit trail (DESIGN §5.4).
        self.policy = policy or ModificationPolicy(session, company_id, cache, clock=clock)
        # Bookings of Cal.com-linked services are mirrored there (DESIGN §5.3).
        self.calendar = (
            CalendarSync(calcom, session, flags, self.availability.cache.invalidate)
            if calcom is not None
            else None
        )
        self.tz: ZoneInfo | None = None

    # --- reads -----------------------------------------------------------------------------

    async def get(self, appointment_id: int) -> Appointment:
        return await self.get_or_404(
            Appointment, appointment_id, options=[selectinload(Appointment.phases)]
        )

    async def list(self, filters: AppointmentFilters) -> Page[Any]:
        stmt = self.scoped(Appointment).options(selectinload(Appointment.phases))
        tz = await self._company_tz()
        if filters.date_from is not None:
            stmt = stmt.where(Appointment.starts_at >= to_utc(filters.date_from, tz))
        if filters.date_to is not None:
            stmt = stmt.where(Appointment.starts_at < to_utc(filters.date_to, tz))
        for column in ("staff_id", "customer_id", "branch_id", "status"):
            if (value := getattr(filters, column)) is not None:
                stmt = stmt.where(getattr(Appointment, column) == value)
        stmt = stmt.order_by(Appointment.starts_at, Appointment.id)
        return await self.paginate(stmt, filters.limit, filters.offset)

    # --- writes ----------------------------------------------------------------------------

    async def book(
        self, data: AppointmentCreate, source: AppointmentSource = AppointmentSource.API
    ) -> Appointment:
        query = await self.availability.resolve(data.branch_id, data.service_id, data.staff_id)
        if not query.candidates:
            raise ValidationFailedError(
                "body.service_id", "no staff member at this branch performs it"
            )
        start = to_utc(data.start, query.rules.tz)
        customer = await self._customer(data.customer_id, data.customer)
        staff = await self._first_free_staff(query, start)
        await self._lock_and_recheck(query, staff, start)
        synced = self.calendar is not None and CalendarSync.applies_to(query.service)
        appointment = Appointment(
            company_id=self.company_id,
            branch_id=data.branch_id,
            service_id=query.service.id,
            staff_id=staff.id,
            customer_id=customer.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=query.service.duration_minutes),
            status=AppointmentStatus.PENDING if synced else AppointmentStatus.CONFIRMED,
            source=source,
            notes=data.notes,
        )
        appointment.phases = self._phases(query, staff.id, start)
        self.session.add(appointment)
        await self.session.flush()
        await self._invalidate_after_commit()
        if synced:
            assert self.calendar is not None
            company = await self.session.get(Company, self.company_id)
            await self.calendar.confirm_new(
                appointment,
                query.service,
                customer,
                company,  # type: ignore[arg-type]
                on_slot_taken=lambda: self._unavailable(query, start, Unavailability.TAKEN),
            )
        return appointment

    async def reschedule(self, appointment_id: int, data: AppointmentReschedule) -> Appointment:
        appointment = await self._open_appointment(appointment_id)
        permit = await self.policy.check(appointment, Action.RESCHEDULE, force=data.force)
        moved_from = appointment.starts_at
        staff_id = data.staff_id or appointment.staff_id
        query = await self.availability.resolve(
            appointment.branch_id, appointment.service_id, staff_id
        )
        start = to_utc(data.start, query.rules.tz)
        staff = query.requested_staff
        assert staff is not None
        self._refuse_bad_input(query, start)
        await self._lock_and_recheck(query, staff, start, exclude=appointment.id)
        end = start + timedelta(minutes=query.service.duration_minutes)
        move_appointment(appointment, start, end, staff.id)
        details = {"from": moved_from.isoformat(), "to": start.isoformat(), "staff_id": staff.id}
        await self.policy.record(appointment, permit, reason=data.reason, details=details)
        await self.session.flush()
        if self.calendar is not None:
            # Last, after every local check (the quota included) has passed.
            await self.calendar.reschedule(
                appointment,
                data.reason,
                on_slot_taken=lambda: self._unavailable(query, start, Unavailability.TAKEN),
            )
        await self._invalidate_after_commit()
        return appointment

    async def cancel(
        self, appointment_id: int, reason: str | None = None, *, force: bool = False
    ) -> Appointment:
        """Refused with PolicyViolationError (422) when the cancellation policy says no,
        unless `force` (staff only); every cancel is recorded with its fee."""
        appointment = await self._open_appointment(appointment_id)
        permit = await self.policy.check(appointment, Action.CANCEL, force=force)
        appointment.status = AppointmentStatus.CANCELLED
        if reason:
            appointment.notes = f"{appointment.notes}\n{reason}" if appointment.notes else reason
        await self.policy.record(appointment, permit, reason=reason)
        await self.session.flush()
        if self.calendar is not None:
            await self.calendar.cancel(appointment, reason)
        await self._invalidate_after_commit()
        return appointment

    async def update(self, appointment_id: int, data: AppointmentUpdate) -> Appointment:
        appointment = await self.get(appointment_id)
        changes = data.model_dump(exclude_unset=True)
        if "notes" in changes:
            appointment.notes = changes["notes"]
        if changes.get("service_id") not in (None, appointment.service_id):
            await self._change_service(appointment, changes["service_id"])
        if changes.get("status") is not None:
            self._set_status(appointment, changes["status"])
        await self.session.flush()
        await self._invalidate_after_commit()
        return appointment

    # --- presentation ----------------------------------------------------------------------

    async def present(self, appointment: Appointment) -> AppointmentRead:
        """The appointment with its times in the company's zone."""
        tz = await self._company_tz()
        read = AppointmentRead.model_validate(appointment)
        return read.model_copy(
            update={
                "starts_at": read.starts_at.astimezone(tz),
                "ends_at": read.ends_at.astimezone(tz),
                "phases": [
                    PhaseRead(
                        **{
                            **phase.model_dump(),
                            "starts_at": phase.starts_at.astimezone(tz),
                            "ends_at": phase.ends_at.astimezone(tz),
                        }
                    )
                    for phase in read.phases
                ],
            }
        )

    async def present_page(self, page: Page[Any]) -> Page[AppointmentRead]:
        items = [await self.present(item) for item in page.items]
        return Page(items=items, total=page.total, limit=page.limit, offset=page.offset)

    # --- internals -------------------------------------------------------------------------

    async def _company_tz(self) -> ZoneInfo:
        if self.tz is None:
            company = await self.session.get(Company, self.company_id)
            self.tz = ZoneInfo(company.timezone)  # type: ignore[union-attr]
        return self.tz

    def _refuse_bad_input(self, query: SlotQuery, start: datetime) -> None:
        error = self.availability.finder(query).input_error(start)
        if error is not None:
            reason = INPUT_ERRORS[error].format(grid=query.rules.grid_minutes)
            raise ValidationFailedError("body.start", reason)

    async def _first_free_staff(self, query: SlotQuery, start: datetime) -> Staff:
        """The requested staff member, or the first qualified one free at `start`."""
        self._refuse_bad_input(query, start)
        staff = [query.requested_staff] if query.requested_staff else query.candidates
        finder = self.availability.finder(query)
        calendars = await self.availability.loader.calendars(
            staff, Interval(*day_with_neighbours(start, query.rules.tz))
        )
        reason = Unavailability.NO_QUALIFIED_STAFF
        for member, calendar in zip(staff, calendars, strict=True):
            found = finder.unavailability(calendar, start)
            if found is None:
                return member
            reason = found
        raise await self._unavailable(query, start, reason)

    async def _lock_and_recheck(
        self, query: SlotQuery, staff: Staff, start: datetime, *, exclude: int | None = None
    ) -> None:
        await self.session.execute(select(Staff.id).where(Staff.id == staff.id).with_for_update())
        (calendar,) = await self.availability.loader.calendars(
            [staff],
            Interval(*day_with_neighbours(start, query.rules.tz)),
            exclude_appointment_id=exclude,
        )
        reason = self.availability.finder(query).unavailability(calendar, start)
        if reason is not None:
            raise await self._unavailable(query, start, reason)

    async def _unavailable(
        self, query: SlotQuery, start: datetime, reason: Unavailability
    ) -> SlotUnavailableError:
        alternatives = await self.availability.alternatives(query, start, 2)
        local = start.astimezone(query.rules.tz).strftime("%Y-%m-%d %H:%M")
        return SlotUnavailableError(
            f"{local} is not available ({reason}).",
            reason=str(reason),
            alternatives=[alt.model_dump(mode="json") for alt in alternatives],
        )

    def _phases(self, query: SlotQuery, staff_id: int, start: datetime) -> list[AppointmentPhase]:
        return phases_for(query.service, self.flags, self.company_id, staff_id, start)

    async def _change_service(self, appointment: Appointment, service_id: int) -> None:
        if appointment.status not in MODIFIABLE_STATUSES:
            raise InvalidStatusTransitionError(
                f"A {appointment.status} appointment cannot change its service."
            )
        query = await self.availability.resolve(
            appointment.branch_id, service_id, appointment.staff_id
        )
        staff = query.requested_staff
        assert staff is not None
        await self._lock_and_recheck(query, staff, appointment.starts_at, exclude=appointment.id)
        appointment.service_id = service_id
        appointment.ends_at = appointment.starts_at + timedelta(
            minutes=query.service.duration_minutes
        )
        # Replacing the collection deletes the old phase rows (delete-orphan) in this flush.
        appointment.phases = []
        await self.session.flush()
        appointment.phases = self._phases(query, staff.id, appointment.starts_at)

    def _set_status(self, appointment: Appointment, status: str) -> None:
        if appointment.status == AppointmentStatus.CANCELLED:
            raise InvalidStatusTransitionError("A cancelled appointment cannot change its status.")
        appointment.status = status

    async def _open_appointment(self, appointment_id: int) -> Appointment:
        # Locked first: a second cancel or reschedule of the same appointment waits and then
        # sees the new status, instead of failing on the version check.
        appointment = await self.get_or_404(
            Appointment,
            appointment_id,
            options=[selectinload(Appointment.phases)],
            for_update=True,
        )
        if appointment.status not in MODIFIABLE_STATUSES:
            raise InvalidStatusTransitionError(
                f"Appointment {appointment_id} is {appointment.status}; only pending or "
                "confirmed appointments can be changed."
            )
        return appointment

    async def _customer(self, customer_id: int | None, inline: InlineCustomer | None) -> Customer:
        if customer_id is not None:
            return await self.get_or_404(Customer, customer_id)
        assert inline is not None
        company = await self.session.get(Company, self.company_id)
        region = CompanySettings.from_stored(company.settings).region(self.default_region)  # type: ignore[union-attr]
        phone = normalise_phone(inline.phone, region, field="body.customer.phone")
        customers = CustomerService(self.session, self.company_id)
        return await customers.find_or_create(name=inline.name, phone=phone, email=inline.email)

    async def _invalidate_after_commit(self) -> None:
        await self.availability.cache.invalidate(self.session)
