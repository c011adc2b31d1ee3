"""The one writer of appointments: book, reschedule, cancel, change service, complete,
apply what an external calendar reports, and find.

Every appointment change passes through here, so phases, the policy audit trail, the
availability cache generation and the change listeners (the notification outbox) are
handled in one place (`_changed`). Routers, the Cal.com webhook handler, the reconcile job
and the voice agent call this class; none of them builds an appointment itself.

No double booking: a write that takes staff time locks the staff rows (SELECT ... FOR
UPDATE; on SQLite the transaction already holds the write lock), reads their calendar and
only then inserts, so of N concurrent requests for one slot exactly one succeeds. A booking
reads what it needs once: company, branch and service in one statement, the qualified staff
in one, their calendars in two; a refused booking writes nothing.

Calendar-linked services (Cal.com): the appointment is first committed as `pending` (the
hold, the one documented commit inside a service: it must keep the slot, visibly to other
requests, during the slow external call), then created in the calendar and confirmed with
its uid, or released (cancelled, committed) before the caller hears why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.cache import Cache
from app.config import FeatureFlags
from app.db import run_after_commit, utcnow
from app.e164 import normalise_phone
from app.errors import DomainError, UpstreamUnavailableError, ValidationFailedError
from app.invalidation import GenerationCache, cached_response, company_state_cache
from app.policies.enforcement import Enforcement
from app.policies.modifications import SYSTEM, Actor, ModificationPolicy
from app.policies.rules import Action
from app.repository import TenantScoped
from app.scheduling.availability import AvailabilityService, SlotQuery
from app.scheduling.errors import InvalidStatusTransitionError, SlotUnavailableError
from app.scheduling.intervals import Interval
from app.scheduling.models import (
    MODIFIABLE_STATUSES,
    Appointment,
    AppointmentSource,
    AppointmentStatus,
)
from app.scheduling.phases import move_appointment, phases_for
from app.scheduling.ports import (
    AppointmentChange,
    Attendee,
    CalendarError,
    CalendarPort,
    CalendarRefusedError,
    CalendarSlotTakenError,
    ChangeKind,
    ChangeListener,
    ExternalBooking,
)
from app.scheduling.schemas import (
    AppointmentCreate,
    AppointmentFilters,
    AppointmentRead,
    AppointmentReschedule,
    AppointmentUpdate,
    PhaseRead,
)
from app.scheduling.slots import StaffCalendar, Unavailability
from app.schemas import Page, StoredJSON
from app.tenancy.company_settings import CompanySettings
from app.tenancy.customers import CustomerService
from app.tenancy.models import Branch, Company, Customer, Service, Staff, staff_services
from app.tenancy.zones import zone_of
from app.timezones import day_with_neighbours, to_utc

logger = logging.getLogger("app.scheduling")

# Refused as bad input (422); every other reason means "not free" (409 with alternatives).
INPUT_ERRORS = {
    Unavailability.IN_THE_PAST: "must be in the future",
    Unavailability.OFF_GRID: "must be on the booking grid of {grid} minutes",
}
DEFAULT_ALTERNATIVES = 2


def appointment_listings(cache: Cache, company_id: int) -> GenerationCache:
    """A company's appointment listings as sent, stale after any change to its bookable
    state (an appointment, a branch's zone or hours)."""
    return company_state_cache(cache, company_id, "appts")


class CalendarUnavailableError(UpstreamUnavailableError):
    """The external calendar could not confirm the change; nothing was changed."""

    type, title = "calendar-unavailable", "Calendar unavailable"


class CalendarRejectedError(DomainError):
    """The external calendar answered but refused the change."""

    status, type, title = 502, "calendar-rejected", "Calendar refused the change"


@dataclass(frozen=True)
class ExternalOutcome:
    """What applying an external booking did: `applied` changed something, `known` found it
    already as reported, `ignored` could not place it (no qualified staff, unknown uid)."""

    status: Literal["applied", "known", "ignored"]
    detail: str
    appointment: Appointment | None = None
    effect: Literal["created", "moved", "cancelled"] | None = None  # when applied


class SchedulingService(TenantScoped):
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        flags: FeatureFlags,
        *,
        default_region: str = "DE",
        clock: Callable[[], datetime] = utcnow,
        actor: Actor = SYSTEM,
        calendar: CalendarPort | None = None,
        listeners: Sequence[ChangeListener] = (),
    ) -> None:
        super().__init__(session, company_id)
        self.cache = cache
        self.flags = flags
        self.default_region = default_region
        self.clock = clock
        self.availability = AvailabilityService(session, company_id, cache, flags, clock, calendar)
        self.loader = self.availability.loader
        # Cancel and reschedule rules, fees and the audit trail (DESIGN §5.4).
        self.policy = ModificationPolicy(session, company_id, cache, actor, clock=clock)
        self.calendar = calendar
        self.listeners = listeners
        self._zones: dict[int, ZoneInfo] = {}

    # --- reads -----------------------------------------------------------------------------

    async def find(self, appointment_id: int) -> Appointment:
        """One appointment of this company with its phases (404 for another's)."""
        return await self.get_or_404(
            Appointment, appointment_id, options=[selectinload(Appointment.phases)]
        )

    async def list(self, filters: AppointmentFilters) -> Page[Any]:
        """Appointments by start; dates without an offset are read in the zone of the
        branch filtered on, else the company's."""
        stmt = self.scoped(Appointment).options(selectinload(Appointment.phases))
        if filters.date_from is not None or filters.date_to is not None:
            tz = await self._filter_zone(filters.branch_id)
            if filters.date_from is not None:
                stmt = stmt.where(Appointment.starts_at >= to_utc(filters.date_from, tz))
            if filters.date_to is not None:
                stmt = stmt.where(Appointment.starts_at < to_utc(filters.date_to, tz))
        for column in ("staff_id", "customer_id", "branch_id", "status"):
            if (value := getattr(filters, column)) is not None:
                stmt = stmt.where(getattr(Appointment, column) == value)
        stmt = stmt.order_by(Appointment.starts_at, Appointment.id)
        return await self.paginate(stmt, filters.limit, filters.offset)

    async def list_response(self, filters: AppointmentFilters) -> StoredJSON:
        """`list`, presented, as the response's JSON: kept under the company's generation
        (any change to an appointment, a branch's zone or hours makes it stale), so a
        repeated listing is served without a query."""
        copies = appointment_listings(self.cache, self.company_id)

        async def page() -> Page[AppointmentRead]:
            return await self.present_page(await self.list(filters))

        return await cached_response(copies, filters.model_dump_json(), page)

    async def upcoming_for(self, customer_id: int, limit: int = 10) -> list[Appointment]:
        """A customer's pending and confirmed appointments from now on, soonest first."""
        stmt = (
            self.scoped(Appointment)
            .where(
                Appointment.customer_id == customer_id,
                Appointment.status.in_(MODIFIABLE_STATUSES),
                Appointment.starts_at >= self.clock(),
            )
            .options(selectinload(Appointment.phases))
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def policy_check(self, appointment_id: int, action: Action) -> Enforcement:
        """What a cancel or reschedule would be answered now; changes nothing. A cancelled
        or finished appointment answers 409, as the action would."""
        appointment = await self.find(appointment_id)
        self._refuse_unless_modifiable(appointment)
        return await self.policy.enforcer.evaluate(appointment, action)

    # --- presentation ----------------------------------------------------------------------

    async def zone_for(self, branch_id: int) -> ZoneInfo:
        if branch_id not in self._zones:
            rows = await self.session.execute(
                select(Branch.id, Branch.timezone, Company.timezone)
                .join(Company, Company.id == Branch.company_id)
                .where(Branch.company_id == self.company_id)
            )
            for branch, branch_zone, company_zone in rows:
                self._zones[branch] = zone_of(_Zoned(branch_zone), _Zoned(company_zone))
        return self._zones[branch_id]

    async def present(self, appointment: Appointment) -> AppointmentRead:
        """The appointment with its times in its branch's zone (that zone's offset)."""
        tz = await self.zone_for(appointment.branch_id)
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
        self._refuse_bad_input(query, start)
        # Lock first, then read: what is read is what commits. All qualified staff are read
        # (for alternatives), only those the booking may take are locked.
        pool = [query.requested_staff] if query.requested_staff else query.candidates
        await self.loader.lock(pool)
        near = await self._near_calendars(query, start)
        staff, reason = self._first_free(query, start, pool, near)
        if staff is None:
            raise await self._unavailable(query, start, reason, near)
        customer_id = await self._customer_id(data)
        appointment = Appointment(
            company_id=self.company_id,
            branch_id=data.branch_id,
            service_id=query.service.id,
            staff_id=staff.id,
            customer_id=customer_id,
            starts_at=start,
            ends_at=start + timedelta(minutes=query.service.duration_minutes),
            status=AppointmentStatus.PENDING
            if self._linked(query)
            else AppointmentStatus.CONFIRMED,
            source=source,
            notes=data.notes,
        )
        appointment.phases = phases_for(query.service, self.flags, self.company_id, staff.id, start)
        self.session.add(appointment)
        await self.session.flush()
        self._zones[appointment.branch_id] = query.rules.tz  # for presenting it
        if self._linked(query):
            await self._hold_and_confirm(appointment, query, data)
        await self._changed(ChangeKind.BOOKED, appointment)
        return appointment

    async def reschedule(self, appointment_id: int, data: AppointmentReschedule) -> Appointment:
        appointment = await self._open_appointment(appointment_id)
        permit = await self.policy.check(appointment, Action.RESCHEDULE, force=data.force)
        moved_from = appointment.starts_at
        query = await self.availability.resolve(
            appointment.branch_id, appointment.service_id, data.staff_id or appointment.staff_id
        )
        start = to_utc(data.start, query.rules.tz)
        staff = query.requested_staff
        assert staff is not None
        self._refuse_bad_input(query, start)
        await self._lock_and_recheck(query, staff, start, exclude=appointment.id)
        move_appointment(
            appointment, start, start + timedelta(minutes=query.service.duration_minutes), staff.id
        )
        details = {"from": moved_from.isoformat(), "to": start.isoformat(), "staff_id": staff.id}
        await self.policy.record(appointment, permit, reason=data.reason, details=details)
        await self.session.flush()
        if self.calendar is not None and appointment.calcom_booking_uid is not None:
            # Last, after every local check (the quota included) has passed.
            try:
                moved = await self.calendar.reschedule_booking(
                    appointment.calcom_booking_uid, start, data.reason
                )
            except CalendarError as exc:
                raise await self._calendar_failure(exc, "move", query, start) from exc
            appointment.calcom_booking_uid = moved.uid
        await self._changed(ChangeKind.RESCHEDULED, appointment, previous_start=moved_from)
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
        modification = await self.policy.record(appointment, permit, reason=reason)
        await self.session.flush()
        if self.calendar is not None and appointment.calcom_booking_uid is not None:
            try:
                await self.calendar.cancel_booking(appointment.calcom_booking_uid, reason)
            except CalendarRefusedError as exc:
                if not exc.gone:
                    raise CalendarRejectedError(_refused("cancel", exc)) from exc
                # Gone from the calendar already (cancelled or deleted there): cancel here too.
                logger.info("calendar.cancel_unknown_booking", extra={"id": appointment.id})
            except CalendarError as exc:
                raise _unavailable("cancel") from exc
        await self._changed(
            ChangeKind.CANCELLED, appointment, details={"fee": str(modification.fee_charged)}
        )
        return appointment

    async def change_service(self, appointment: Appointment, service_id: int) -> None:
        """Another service at the same time with the same staff member: re-checked, phases
        rebuilt."""
        self._refuse_unless_modifiable(appointment, "change its service")
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
        appointment.phases = phases_for(
            query.service, self.flags, self.company_id, staff.id, appointment.starts_at
        )
        await self.session.flush()
        await self._changed(ChangeKind.SERVICE_CHANGED, appointment)

    async def update(self, appointment_id: int, data: AppointmentUpdate) -> Appointment:
        """PATCH: notes, another service, or a status (confirmed, completed, no_show)."""
        appointment = await self.find(appointment_id)
        changes = data.model_dump(exclude_unset=True)
        if "notes" in changes:
            appointment.notes = changes["notes"]
            await self.session.flush()
        if changes.get("service_id") not in (None, appointment.service_id):
            await self.change_service(appointment, changes["service_id"])
        status = changes.get("status")
        if status == AppointmentStatus.COMPLETED:
            await self.complete(appointment.id)
        elif status == AppointmentStatus.NO_SHOW:
            await self.mark_no_show(appointment.id)
        elif status == AppointmentStatus.CONFIRMED:
            self._refuse_unless_modifiable(appointment, "be confirmed")
            appointment.status = AppointmentStatus.CONFIRMED
            await self.session.flush()
        return appointment

    async def complete(self, appointment_id: int) -> Appointment:
        return await self._finish(appointment_id, AppointmentStatus.COMPLETED, ChangeKind.COMPLETED)

    async def mark_no_show(self, appointment_id: int) -> Appointment:
        return await self._finish(appointment_id, AppointmentStatus.NO_SHOW, ChangeKind.NO_SHOW)

    async def apply_external(self, booking: ExternalBooking) -> ExternalOutcome:
        """A change the external calendar reports (webhook or reconcile). It has happened
        there, so it is never refused by policy; it is recorded (actor: the calendar) like
        any other change. Applying the same report twice changes nothing."""
        if booking.kind == "cancelled":
            return await self._external_cancelled(booking)
        if booking.kind == "rescheduled":
            if (known := await self._by_uid(booking.uid)) is not None:
                return ExternalOutcome("known", "already at the new time", known)
            appointment = await self._by_uid(booking.previous_uid)
            if appointment is not None:
                return await self._external_moved(appointment, booking)
        return await self._external_created(booking)

    async def settle_hold(self, appointment_id: int, uid: str | None) -> Appointment:
        """A pending hold whose calendar call never answered here: confirm it with the
        calendar's booking (`uid`), or release it when the calendar has none."""
        appointment = await self.get_or_404(
            Appointment, appointment_id, options=[selectinload(Appointment.phases)], for_update=True
        )
        if appointment.status != AppointmentStatus.PENDING:
            return appointment
        if uid is not None:
            appointment.calcom_booking_uid = uid
            appointment.status = AppointmentStatus.CONFIRMED
            await self.session.flush()
            await self._changed(ChangeKind.BOOKED, appointment)
        else:
            appointment.status = AppointmentStatus.CANCELLED
            await self.session.flush()
            await self._invalidate()
        return appointment

    # --- the calendar hold -----------------------------------------------------------------

    def _linked(self, query: SlotQuery) -> bool:
        return self.calendar is not None and query.service.calcom_event_type_id is not None

    async def _hold_and_confirm(
        self, appointment: Appointment, query: SlotQuery, data: AppointmentCreate
    ) -> None:
        assert self.calendar is not None and query.service.calcom_event_type_id is not None
        await self._commit_hold()
        try:
            booking = await self.calendar.create_booking(
                query.service.calcom_event_type_id,
                appointment.starts_at,
                await self._attendee(appointment.customer_id, query),
                self._calendar_metadata(appointment, query),
            )
        except CalendarError as exc:
            await self._release_hold(appointment, exc)
            raise await self._calendar_failure(exc, "book", query, appointment.starts_at) from exc
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.calcom_booking_uid = booking.uid
        await self.session.flush()

    async def _commit_hold(self) -> None:
        """The pending appointment becomes durable and visible before the slow external
        call, so the slot stays held without any lock being kept."""
        await self._invalidate()
        await self.session.commit()
        await run_after_commit(self.session)

    async def _release_hold(self, appointment: Appointment, exc: CalendarError) -> None:
        """Cancel the pending appointment durably, so the slot is free again."""
        logger.warning(
            "calendar.booking_not_confirmed",
            extra={"appointment_id": appointment.id, "error": str(exc)[:300]},
        )
        appointment.status = AppointmentStatus.CANCELLED
        await self._invalidate()
        await self.session.commit()
        await run_after_commit(self.session)

    async def _attendee(self, customer_id: int, query: SlotQuery) -> Attendee:
        customer = await self.session.get(Customer, customer_id)
        assert customer is not None
        company = query.context.company
        return Attendee(
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            time_zone=str(query.rules.tz),
            language=customer.language or company.language,
        )

    def _calendar_metadata(self, appointment: Appointment, query: SlotQuery) -> dict[str, str]:
        metadata = {"appointment_id": str(appointment.id)}
        service = query.service
        if self.flags.processing_time_calcom_sync and service.has_processing_time:
            metadata["processing_phases"] = (
                f"initial:{service.initial_duration},processing:{service.processing_duration},"
                f"final:{service.final_duration}"
            )
        return metadata

    async def _calendar_failure(
        self, exc: CalendarError, action: str, query: SlotQuery, start: datetime
    ) -> Exception:
        """The caller's answer to a calendar failure: nothing was changed here in any case."""
        if isinstance(exc, CalendarSlotTakenError):
            return await self._unavailable(query, start, Unavailability.TAKEN)
        if isinstance(exc, CalendarRefusedError):
            return CalendarRejectedError(_refused(action, exc))
        return _unavailable(action)

    # --- external changes ------------------------------------------------------------------

    async def _external_created(self, booking: ExternalBooking) -> ExternalOutcome:
        if (known := await self._by_uid(booking.uid)) is not None:
            return ExternalOutcome("known", "already known", known)
        if (own := await self._own_hold(booking)) is not None:
            return ExternalOutcome("known", "our own booking", own)
        if booking.service_id is None or booking.start is None:
            raise ValidationFailedError(
                "payload", "a created booking needs a start and a known event type"
            )
        service = await self.get_or_404(Service, booking.service_id)
        staff = await self._external_staff(service, booking.organizer_id)
        if staff is None:
            return ExternalOutcome("ignored", "no staff member performs this service")
        customer = await self._external_customer(booking)
        start = booking.start
        appointment = Appointment(
            company_id=self.company_id,
            branch_id=staff.branch_id,
            service_id=service.id,
            staff_id=staff.id,
            customer_id=customer.id,
            starts_at=start,
            ends_at=booking.end or start + timedelta(minutes=service.duration_minutes),
            status=AppointmentStatus.CONFIRMED,
            source=AppointmentSource.CALCOM,
            calcom_booking_uid=booking.uid,
            notes=booking.title,
        )
        appointment.phases = phases_for(service, self.flags, self.company_id, staff.id, start)
        self.session.add(appointment)
        await self.session.flush()
        await self._changed(ChangeKind.BOOKED, appointment)
        return ExternalOutcome("applied", "appointment created", appointment, "created")

    async def _external_moved(
        self, appointment: Appointment, booking: ExternalBooking
    ) -> ExternalOutcome:
        if booking.start is None:
            raise ValidationFailedError("payload", "a rescheduled booking needs a start")
        moved_from = appointment.starts_at
        duration = appointment.ends_at - appointment.starts_at
        move_appointment(appointment, booking.start, booking.end or booking.start + duration)
        appointment.calcom_booking_uid = booking.uid
        if appointment.status == AppointmentStatus.PENDING:
            appointment.status = AppointmentStatus.CONFIRMED
        await self.policy.record_external(
            appointment, Action.RESCHEDULE, reason=booking.reason, starts_at=moved_from
        )
        await self.session.flush()
        await self._changed(ChangeKind.RESCHEDULED, appointment, previous_start=moved_from)
        return ExternalOutcome("applied", "appointment moved", appointment, "moved")

    async def _external_cancelled(self, booking: ExternalBooking) -> ExternalOutcome:
        # Cancellations carry no metadata: matched on the uid alone.
        appointment = await self._by_uid(booking.uid)
        if appointment is None:
            return ExternalOutcome("ignored", "unknown booking uid")
        if appointment.status == AppointmentStatus.CANCELLED:
            return ExternalOutcome("known", "already cancelled", appointment)
        appointment.status = AppointmentStatus.CANCELLED
        modification = await self.policy.record_external(
            appointment, Action.CANCEL, reason=booking.reason
        )
        await self.session.flush()
        await self._changed(
            ChangeKind.CANCELLED, appointment, details={"fee": str(modification.fee_charged)}
        )
        return ExternalOutcome("applied", "appointment cancelled", appointment, "cancelled")

    async def _external_staff(self, service: Service, organizer_id: int | None) -> Staff | None:
        """The organizer when they perform the service, else the first qualified staff."""
        qualified = (
            self.scoped(Staff)
            .join(staff_services, staff_services.c.staff_id == Staff.id)
            .where(staff_services.c.service_id == service.id, Staff.is_active.is_(True))
            .order_by(Staff.id)
        )
        if service.branch_id is not None:
            qualified = qualified.where(Staff.branch_id == service.branch_id)
        members = list((await self.session.execute(qualified)).scalars().all())
        chosen = next((m for m in members if m.calcom_user_id == organizer_id), None)
        return chosen or (members[0] if members else None)

    async def _external_customer(self, booking: ExternalBooking) -> Customer:
        company = await self.session.get(Company, self.company_id)
        phone = None
        if booking.attendee_phone:
            region = CompanySettings.from_stored(company.settings).region(self.default_region)  # type: ignore[union-attr]
            try:
                phone = normalise_phone(booking.attendee_phone, region)
            except DomainError:
                logger.warning("calendar.attendee_phone_invalid")
        customers = CustomerService(self.session, self.company_id)
        name = booking.attendee_name or "Cal.com guest"
        return await customers.find_or_create(name=name, phone=phone, email=booking.attendee_email)

    async def _own_hold(self, booking: ExternalBooking) -> Appointment | None:
        """A booking made from here, echoed back before its uid was stored: the pending
        hold it belongs to takes the uid (the booking request confirms it). A hold already
        released (the calendar answered too late) is not revived: the booking is new here."""
        if booking.local_id is None:
            return None
        stmt = (
            self.scoped(Appointment)
            .where(
                Appointment.id == booking.local_id,
                Appointment.calcom_booking_uid.is_(None),
                Appointment.status == AppointmentStatus.PENDING,
            )
            .options(selectinload(Appointment.phases))
        )
        appointment = (await self.session.execute(stmt)).scalar_one_or_none()
        if appointment is not None:
            appointment.calcom_booking_uid = booking.uid
            await self.session.flush()
        return appointment

    async def _by_uid(self, uid: str | None) -> Appointment | None:
        if not uid:
            return None
        result = await self.session.execute(
            self.scoped(Appointment)
            .where(Appointment.calcom_booking_uid == uid)
            .options(selectinload(Appointment.phases))
        )
        return result.scalar_one_or_none()

    # --- internals -------------------------------------------------------------------------

    async def _changed(
        self,
        kind: ChangeKind,
        appointment: Appointment,
        previous_start: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Every appointment change ends here: the cached availability goes stale with the
        commit, and every listener (e.g. the notification outbox) writes in this
        transaction."""
        await self._invalidate()
        change = AppointmentChange(kind, appointment, previous_start, details or {})
        for listener in self.listeners:
            await listener(self.session, change)

    async def _invalidate(self) -> None:
        await self.availability.cache.invalidate(self.session)

    async def _finish(
        self, appointment_id: int, status: AppointmentStatus, kind: ChangeKind
    ) -> Appointment:
        appointment = await self._locked(appointment_id)
        if appointment.status not in MODIFIABLE_STATUSES:
            raise InvalidStatusTransitionError(
                f"Appointment {appointment_id} is {appointment.status}; only pending or "
                f"confirmed appointments can be marked {status}.",
                current_status=str(appointment.status),
            )
        appointment.status = status
        await self.session.flush()
        await self._changed(kind, appointment)
        return appointment

    def _refuse_bad_input(self, query: SlotQuery, start: datetime) -> None:
        error = self.availability.finder(query).input_error(start)
        if error is not None:
            reason = INPUT_ERRORS[error].format(grid=query.rules.grid_minutes)
            raise ValidationFailedError("body.start", reason)

    async def _near_calendars(self, query: SlotQuery, start: datetime) -> list[StaffCalendar]:
        """Every qualified staff member's calendar around `start`: enough to judge the
        start and, usually, to find the alternatives."""
        window = Interval(*day_with_neighbours(start, query.rules.tz))
        return await self.loader.calendars(query.candidates, window)

    def _first_free(
        self, query: SlotQuery, start: datetime, pool: list[Staff], near: list[StaffCalendar]
    ) -> tuple[Staff | None, Unavailability]:
        """The first staff member of `pool` free at `start`, or why none is."""
        finder = self.availability.finder(query)
        by_id = {calendar.staff_id: calendar for calendar in near}
        reason = Unavailability.NO_QUALIFIED_STAFF
        for member in pool:
            found = finder.unavailability(by_id[member.id], start)
            if found is None:
                return member, reason
            reason = found
        return None, reason

    async def _lock_and_recheck(
        self, query: SlotQuery, staff: Staff, start: datetime, *, exclude: int | None = None
    ) -> None:
        await self.loader.lock([staff])
        (calendar,) = await self.loader.calendars(
            [staff],
            Interval(*day_with_neighbours(start, query.rules.tz)),
            exclude_appointment_id=exclude,
        )
        reason = self.availability.finder(query).unavailability(calendar, start)
        if reason is not None:
            raise await self._unavailable(query, start, reason)

    async def _unavailable(
        self,
        query: SlotQuery,
        start: datetime,
        reason: Unavailability,
        near: list[StaffCalendar] | None = None,
    ) -> SlotUnavailableError:
        alternatives = await self.availability.alternatives(
            query, start, DEFAULT_ALTERNATIVES, near=near
        )
        local = start.astimezone(query.rules.tz).strftime("%Y-%m-%d %H:%M")
        return SlotUnavailableError(
            f"{local} is not available ({reason}).",
            reason=str(reason),
            alternatives=[alt.model_dump(mode="json") for alt in alternatives],
        )

    async def _customer_id(self, data: AppointmentCreate) -> int:
        if data.customer_id is not None:
            return (await self.get_or_404(Customer, data.customer_id)).id
        inline = data.customer
        assert inline is not None
        company = await self._company()
        region = CompanySettings.from_stored(company.settings).region(self.default_region)
        phone = normalise_phone(inline.phone, region, field="body.customer.phone")
        customers = CustomerService(self.session, self.company_id)
        return await customers.upsert_by_phone(name=inline.name, phone=phone, email=inline.email)

    async def _company(self) -> Company:
        # Usually already in the session (read with the booking's branch and service).
        company = await self.session.get(Company, self.company_id)
        assert company is not None
        return company

    def _refuse_unless_modifiable(self, appointment: Appointment, what: str = "be changed") -> None:
        if appointment.status not in MODIFIABLE_STATUSES:
            raise InvalidStatusTransitionError(
                f"Appointment {appointment.id} is {appointment.status}; only pending or "
                f"confirmed appointments can {what}.",
                current_status=str(appointment.status),
            )

    async def _locked(self, appointment_id: int) -> Appointment:
        # Locked first: a second change of the same appointment waits and then sees the new
        # status, instead of failing on the version check.
        return await self.get_or_404(
            Appointment,
            appointment_id,
            options=[selectinload(Appointment.phases)],
            for_update=True,
        )

    async def _open_appointment(self, appointment_id: int) -> Appointment:
        appointment = await self._locked(appointment_id)
        self._refuse_unless_modifiable(appointment)
        return appointment

    async def _filter_zone(self, branch_id: int | None) -> ZoneInfo:
        if branch_id is not None:
            try:
                return await self.zone_for(branch_id)
            except KeyError:
                pass  # another company's or unknown branch: matches nothing anyway
        company = await self._company()
        return zone_of(None, company)


@dataclass(frozen=True)
class _Zoned:
    timezone: str | None


def _refused(action: str, exc: CalendarRefusedError) -> str:
    return (
        f"The calendar refused to {action} this appointment ({exc.message}); nothing was changed."
    )


def _unavailable(action: str) -> CalendarUnavailableError:
    return CalendarUnavailableError(
        f"The calendar could not {action} this appointment right now; nothing was changed. "
        "Try again shortly or offer the caller a callback.",
        callback_offered=True,
    )
