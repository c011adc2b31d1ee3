"""Availability: load calendars from the database and answer checks and day listings.

Results are cached for 60 s under keys that carry the company and a per-company generation;
every booking change bumps the generation after commit, so invalidation is one write and a
booked slot is never served from the cache afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache, ComputedCopies
from app.config import FeatureFlags
from app.db import utcnow
from app.errors import ValidationFailedError
from app.invalidation import GenerationCache, Lookup, company_state_cache
from app.repository import TenantScoped
from app.scheduling.intervals import BusyTimeline, Interval
from app.scheduling.models import Appointment, AppointmentPhase, AppointmentStatus
from app.scheduling.phases import is_split
from app.scheduling.ports import CalendarPort
from app.scheduling.schemas import (
    AlternativeRead,
    AvailabilityCheck,
    AvailabilityCheckResult,
    AvailabilityList,
    AvailabilityQuery,
    DaySlots,
    SlotRead,
)
from app.scheduling.slots import (
    Alternative,
    Slot,
    SlotFinder,
    StaffCalendar,
    Unavailability,
    day_distance,
)
from app.schemas import StoredJSON
from app.tenancy.company_settings import CompanySettings
from app.tenancy.models import (
    Branch,
    Company,
    Service,
    Staff,
    TimeOff,
    WorkingHours,
    staff_services,
)
from app.tenancy.zones import zone_of
from app.timezones import day_with_neighbours, local_day_bounds, to_utc

CACHE_TTL_SECONDS = 60
SEARCH_WINDOW_DAYS = 14


@dataclass(frozen=True)
class BookingRules:
    tz: ZoneInfo
    grid_minutes: int
    min_notice: timedelta


def availability_cache(cache: Cache, company_id: int) -> GenerationCache:
    """Computed availability of one company: stale after any change to its bookable state
    (a booking, hours, time off, staff, services, branches, settings)."""
    return company_state_cache(cache, company_id, ttl_seconds=CACHE_TTL_SECONDS)


@dataclass(frozen=True)
class BookingContext:
    """Company, branch and service of a request, read together, with the rules they imply."""

    company: Company
    branch: Branch
    service: Service
    rules: BookingRules


class CalendarLoader(TenantScoped):
    """Reads what availability needs in a few set-based queries: the company, branch and
    service in one, the qualified staff in one, and a calendar (working hours; busy
    intervals from appointments, phases and time off) in two.

    Calendars read for an answer under a trusted generation are kept in `computed` (the
    process's copies): the voice agent and the front desk ask many starts of the same few
    days, and each would read the same rows again. A booking's reads never use them."""

    def __init__(
        self, session: AsyncSession, company_id: int, computed: ComputedCopies | None = None
    ) -> None:
        super().__init__(session, company_id)
        self.computed = computed

    async def context(self, branch_id: int, service_id: int, location: str) -> BookingContext:
        row = (
            await self.session.execute(
                select(Branch, Company, Service)
                .join(Company, Company.id == Branch.company_id)
                .join(Service, and_(Service.id == service_id, Service.company_id == Company.id))
                .where(Branch.id == branch_id, Branch.company_id == self.company_id)
            )
        ).first()
        if row is None:
            # Which one is missing (another company's answers the same): the error path only.
            await self.get_or_404(Branch, branch_id)
            await self.get_or_404(Service, service_id)
        branch, company, service = row  # type: ignore[misc]
        field = f"{location}.service_id"
        if not service.is_active:
            raise ValidationFailedError(field, "the service is no longer offered")
        if service.branch_id is not None and service.branch_id != branch_id:
            raise ValidationFailedError(field, "the service is not offered at this branch")
        settings = CompanySettings.from_stored(company.settings)
        rules = BookingRules(zone_of(branch, company), settings.grid_minutes, settings.min_notice)
        return BookingContext(company, branch, service, rules)

    async def bookable(
        self, branch_id: int, service_id: int, location: str, generation: int | None = None
    ) -> tuple[BookingContext, list[Staff]]:
        """`context` and `qualified_staff`; with `generation`, kept (and used) like calendars.
        Kept rows are read, never changed, and taken out of the reading session at once:
        that request's rollback (a refused check) would otherwise expire them for all."""

        async def read() -> tuple[BookingContext, list[Staff]]:
            return (
                await self.context(branch_id, service_id, location),
                await self.qualified_staff(branch_id, service_id),
            )

        if generation is None or self.computed is None:
            return await read()

        async def read_detached() -> tuple[BookingContext, list[Staff]]:
            context, qualified = await read()
            for row in (context.company, context.branch, context.service, *qualified):
                self.session.expunge(row)
            return context, qualified

        key = ("bookable", self.company_id, generation, branch_id, service_id)
        return await self.computed.get_or_compute(key, read_detached)

    async def qualified_staff(self, branch_id: int, service_id: int) -> list[Staff]:
        stmt = (
            self.scoped(Staff)
            .join(staff_services, staff_services.c.staff_id == Staff.id)
            .where(
                staff_services.c.service_id == service_id,
                Staff.branch_id == branch_id,
                Staff.is_active.is_(True),
            )
            .order_by(Staff.id)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def lock(self, staff: Sequence[Staff]) -> None:
        """Lock the staff rows (in id order, so two bookings never wait on each other in a
        circle); a booking's re-check then sees every booking committed before it. On
        SQLite the transaction already holds the write lock."""
        ids = sorted(member.id for member in staff)
        await self.session.execute(
            select(Staff.id).where(Staff.id.in_(ids)).order_by(Staff.id).with_for_update()
        )

    async def calendars(
        self,
        staff: Sequence[Staff],
        window: Interval,
        *,
        exclude_appointment_id: int | None = None,
        generation: int | None = None,
    ) -> list[StaffCalendar]:
        """The staff's calendars over `window`. With `generation` (the company-state
        generation the caller has just read from the cache, trusted), a copy kept under it
        is used, and what is read is kept."""
        if generation is None or self.computed is None or exclude_appointment_id is not None:
            return await self._read_calendars(staff, window, exclude_appointment_id)
        ids = [member.id for member in staff]
        # Whoever was asked for first, the same calendars.
        key = ("calendars", self.company_id, generation, window.start, window.end, *sorted(ids))

        async def read() -> dict[int, StaffCalendar]:
            calendars = await self._read_calendars(staff, window)
            return {calendar.staff_id: calendar for calendar in calendars}

        kept = await self.computed.get_or_compute(key, read)
        return [kept[staff_id] for staff_id in ids]

    async def _read_calendars(
        self, staff: Sequence[Staff], window: Interval, exclude_appointment_id: int | None = None
    ) -> list[StaffCalendar]:
        ids = [member.id for member in staff]
        hours = await self._working_hours(ids)
        busy = await self._busy(ids, window, exclude_appointment_id)
        return [
            StaffCalendar(member.id, member.name, hours[member.id], BusyTimeline(busy[member.id]))
            for member in staff
        ]

    async def _working_hours(self, staff_ids: list[int]) -> dict[int, dict[int, list]]:
        rows = await self.session.execute(
            select(
                WorkingHours.staff_id,
                WorkingHours.weekday,
                WorkingHours.start_time,
                WorkingHours.end_time,
            ).where(
                WorkingHours.company_id == self.company_id, WorkingHours.staff_id.in_(staff_ids)
            )
        )
        hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for staff_id, weekday, start, end in rows:
            hours[staff_id][weekday].append((start, end))
        return hours

    async def _busy(
        self, staff_ids: list[int], window: Interval, exclude_appointment_id: int | None
    ) -> dict[int, list[Interval]]:
        """Busy intervals in one statement: staff-required phases of split appointments,
        whole other appointments, and time off."""
        appointments = (
            select(
                Appointment.staff_id.label("staff_id"),
                func.coalesce(AppointmentPhase.starts_at, Appointment.starts_at).label("starts"),
                func.coalesce(AppointmentPhase.ends_at, Appointment.ends_at).label("ends"),
            )
            .outerjoin(AppointmentPhase, AppointmentPhase.appointment_id == Appointment.id)
            .where(
                Appointment.company_id == self.company_id,
                Appointment.staff_id.in_(staff_ids),
                Appointment.status != AppointmentStatus.CANCELLED,
                Appointment.starts_at < window.end,
                Appointment.ends_at > window.start,
                or_(AppointmentPhase.id.is_(None), AppointmentPhase.staff_required.is_(True)),
            )
        )
        if exclude_appointment_id is not None:
            appointments = appointments.where(Appointment.id != exclude_appointment_id)
        time_off = select(TimeOff.staff_id, TimeOff.starts_at, TimeOff.ends_at).where(
            TimeOff.company_id == self.company_id,
            TimeOff.staff_id.in_(staff_ids),
            TimeOff.starts_at < window.end,
            TimeOff.ends_at > window.start,
        )
        busy: dict[int, list[Interval]] = defaultdict(list)
        for staff_id, starts, ends in await self.session.execute(union_all(appointments, time_off)):
            busy[staff_id].append(Interval(_aware(starts), _aware(ends)))
        return busy


def _aware(value: datetime) -> datetime:
    # A UNION's columns are read back without the UTC type on some drivers.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class SlotQuery:
    """A request resolved against the database: who may do it, under which rules."""

    context: BookingContext
    split: bool
    requested_staff: Staff | None
    candidates: list[Staff]  # requested staff first, then the rest of the qualified staff

    @property
    def service(self) -> Service:
        return self.context.service

    @property
    def rules(self) -> BookingRules:
        return self.context.rules


class AvailabilityService(TenantScoped):
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        flags: FeatureFlags,
        clock: Callable[[], datetime] = utcnow,
        calendar: CalendarPort | None = None,
    ) -> None:
        super().__init__(session, company_id)
        self.loader = CalendarLoader(session, company_id, cache.computed)
        self.cache = availability_cache(cache, company_id)
        self.flags = flags
        self.clock = clock
        self.calendar = calendar

    async def resolve(
        self,
        branch_id: int,
        service_id: int,
        staff_id: int | None,
        location: str = "body",
        *,
        generation: int | None = None,
    ) -> SlotQuery:
        """The request's company, branch, service and staff, checked; `location` names where
        the ids came from in errors (`body` or `query`). Two statements when all is well;
        none with `generation` (as for `CalendarLoader.calendars`) when a check under it
        has read them already."""
        context, qualified = await self.loader.bookable(branch_id, service_id, location, generation)
        requested = None
        if staff_id is not None:
            requested = next((member for member in qualified if member.id == staff_id), None)
            if requested is None:
                await self._refuse_staff(staff_id, branch_id, location)
            qualified = [requested] + [m for m in qualified if m.id != staff_id]  # type: ignore[list-item]
        split = is_split(context.service, self.flags)
        return SlotQuery(context, split, requested, qualified)

    async def _refuse_staff(self, staff_id: int, branch_id: int, location: str) -> None:
        """Why a staff member asked for is not among the qualified ones (404 if unknown)."""
        staff = await self.get_or_404(Staff, staff_id)
        if staff.branch_id != branch_id or not staff.is_active:
            reason = "the staff member does not work at this branch"
        else:
            reason = "the staff member does not perform this service"
        raise ValidationFailedError(f"{location}.staff_id", reason)

    def finder(
        self, query: SlotQuery, external: dict[date, set[datetime]] | None = None
    ) -> SlotFinder:
        now = self.clock()
        return SlotFinder(
            service=query.service,
            split=query.split,
            tz=query.rules.tz,
            grid_minutes=query.rules.grid_minutes,
            earliest=now + query.rules.min_notice,
            now=now,
            external=external,
        )

    async def check(self, request: AvailabilityCheck) -> AvailabilityCheckResult:
        found = await self.cache.lookup(check_key(request))
        if found.raw is not None:
            return AvailabilityCheckResult.model_validate_json(found.raw)
        result, _ = await self._check(request, found)
        return result

    async def check_for_response(self, request: AvailabilityCheck) -> StoredJSON:
        """As `check`, as the response's JSON: the same bytes whether computed now or
        stored (app.stored_answers sends the stored ones)."""
        found = await self.cache.lookup(check_key(request))
        if found.raw is not None:
            return StoredJSON(found.raw)
        _, body = await self._check(request, found)
        return StoredJSON(body)

    async def _check(
        self, request: AvailabilityCheck, found: Lookup
    ) -> tuple[AvailabilityCheckResult, str]:
        query = await self.resolve(
            request.branch_id, request.service_id, request.staff_id, generation=found.generation
        )
        start = to_utc(request.start, query.rules.tz)
        result = await self.evaluate(
            query, start, request.max_alternatives, generation=found.generation
        )
        body = result.model_dump_json(by_alias=True)  # as FastAPI would send the model
        if not self._fell_back(query, result.source):
            await found.store_raw(body)
        return result, body

    async def evaluate(
        self,
        query: SlotQuery,
        start: datetime,
        max_alternatives: int,
        *,
        generation: int | None = None,
    ) -> AvailabilityCheckResult:
        """Whether `start` is free for the query's staff, with alternatives when it is not.
        `generation`: as for `CalendarLoader.calendars`."""
        finder = self.finder(query)
        window = self._search_window(finder, start)
        finder.external, source = await self._external_view(query, window)
        tz = query.rules.tz
        staff_for_slot = [query.requested_staff] if query.requested_staff else query.candidates
        near = Interval(*day_with_neighbours(start, tz))
        if generation is not None:
            # Every qualified staff member's calendars (the requested one first), kept: the
            # alternatives search reads the same ones, and so does the next check that day.
            everyone = await self.loader.calendars(query.candidates, near, generation=generation)
            calendars = everyone[: len(staff_for_slot)]
        else:
            calendars = await self.loader.calendars(staff_for_slot, near)
        reason: Unavailability | None = Unavailability.NO_QUALIFIED_STAFF
        for calendar in calendars:
            reason = finder.unavailability(calendar, start)
            if reason is None:
                slot = Slot(
                    start,
                    start + timedelta(minutes=query.service.duration_minutes),
                    calendar.staff_id,
                    calendar.name,
                )
                return AvailabilityCheckResult(
                    available=True,
                    requested_start=start.astimezone(tz),
                    slot=_slot_read(slot, tz),
                    source=source,
                )
        alternatives = await self.alternatives(
            query, start, max_alternatives, finder, window, generation=generation
        )
        return AvailabilityCheckResult(
            available=False,
            requested_start=start.astimezone(tz),
            reason=str(reason),
            alternatives=alternatives,
            source=source,
        )

    async def alternatives(
        self,
        query: SlotQuery,
        start: datetime,
        limit: int,
        finder: SlotFinder | None = None,
        window: Interval | None = None,
        near: list[StaffCalendar] | None = None,
        *,
        generation: int | None = None,
    ) -> list[AlternativeRead]:
        """Nearest free starts: the requested staff member's first, then any qualified one.

        `near`: the qualified staff's calendars around `start`, when the caller has read
        them already (a refused booking), so they are not read again."""
        if limit == 0 or not query.candidates:
            return []
        finder = finder or self.finder(query)
        window = window or self._search_window(finder, start)
        tz = query.rules.tz
        anchor = finder.anchor_for(start)
        reads = _CalendarReads(self.loader, query.candidates, anchor, tz, window, generation)
        if near is not None and day_with_neighbours(start, tz) == day_with_neighbours(anchor, tz):
            reads.near = {calendar.staff_id: calendar for calendar in near}
        staff = query.candidates
        groups = [staff[:1], staff[1:]] if query.requested_staff else [staff]
        chosen: list[Alternative] = []
        for group in groups:
            if len(chosen) >= limit or not group:
                continue
            taken = {alt.slot.start for alt in chosen}
            nearest = await self._nearest(finder, group, anchor, start, limit + len(taken), reads)
            for alt in nearest:
                if alt.slot.start not in taken and len(chosen) < limit:
                    chosen.append(alt)
        requested_id = query.requested_staff.id if query.requested_staff else None
        return [
            AlternativeRead(
                **_slot_read(alt.slot, tz).model_dump(),
                reason=str(alt.reason),
                same_staff=requested_id is not None and alt.slot.staff_id == requested_id,
            )
            for alt in chosen
        ]

    async def _nearest(
        self,
        finder: SlotFinder,
        staff: list[Staff],
        anchor: datetime,
        exclude: datetime,
        want: int,
        reads: _CalendarReads,
    ) -> list[Alternative]:
        """Nearest free starts, reading as little of the calendar as the answer needs.

        Most requests find their alternatives within a day: the requested day and its
        neighbours are read first, and the whole window only when a day further out could
        still hold a closer start.
        """
        tz = finder.tz
        found = finder.nearest(anchor, await reads.near_for(staff), want, 1, exclude=exclude)
        day = anchor.astimezone(tz).date()
        horizon = min(
            day_distance(day + timedelta(days=2), anchor, tz),
            day_distance(day - timedelta(days=2), anchor, tz),
        )
        if len(found) >= want and max(abs(a.slot.start - anchor) for a in found) < horizon:
            return found
        calendars = await reads.window_for(staff)
        return finder.nearest(anchor, calendars, want, SEARCH_WINDOW_DAYS, exclude=exclude)

    async def list_free(self, request: AvailabilityQuery) -> AvailabilityList:
        query = await self.resolve(
            request.branch_id, request.service_id, request.staff_id, location="query"
        )
        staff = [query.requested_staff] if query.requested_staff else query.candidates
        tz = query.rules.tz
        last = request.date_to or request.date_from
        window = Interval(local_day_bounds(request.date_from, tz)[0], local_day_bounds(last, tz)[1])
        external, source = await self._external_view(query, window)
        finder = self.finder(query, external)
        days: list[DaySlots] = []
        day = request.date_from
        while day <= last:
            key = f"day:{request.branch_id}:{request.service_id}:{request.staff_id}:{day}:{source}"
            found = await self.cache.lookup(key)
            cached = found.value
            if cached is None:
                slots = await self._day_slots(finder, staff, day, found.generation)
                cached = slots.model_dump(mode="json")
                if not self._fell_back(query, source):
                    await found.store(cached)
            days.append(DaySlots.model_validate(cached))
            day += timedelta(days=1)
        return AvailabilityList(days=days, source=source)

    async def _day_slots(
        self, finder: SlotFinder, staff: list[Staff], day: date, generation: int | None
    ) -> DaySlots:
        calendars = await self.loader.calendars(
            staff, Interval(*local_day_bounds(day, finder.tz)), generation=generation
        )
        slots = [slot for calendar in calendars for slot in finder.free_starts(calendar, day)]
        slots.sort(key=lambda slot: (slot.start, slot.staff_id))
        return DaySlots(date=day, slots=[_slot_read(slot, finder.tz) for slot in slots])

    def _search_window(self, finder: SlotFinder, start: datetime) -> Interval:
        """The calendar the alternatives search may read: 14 days either side of where it
        ranks from (plus a day, for appointments running over midnight), never the past."""
        anchor = finder.anchor_for(start)
        return Interval(
            max(finder.earliest, anchor - timedelta(days=SEARCH_WINDOW_DAYS + 1)),
            anchor + timedelta(days=SEARCH_WINDOW_DAYS + 1),
        )

    async def _external_view(
        self, query: SlotQuery, window: Interval
    ) -> tuple[dict[date, set[datetime]] | None, Literal["local", "calcom"]]:
        """Cal.com's free starts over the window for a linked service, else the local view."""
        event_type_id = query.service.calcom_event_type_id
        if event_type_id is None or self.calendar is None:
            return None, "local"
        tz = query.rules.tz
        external = await self.calendar.free_starts(
            self.company_id,
            event_type_id,
            window.start.astimezone(tz).date(),
            window.end.astimezone(tz).date(),
            tz,
        )
        return (None, "local") if external is None else (external, "calcom")

    def _fell_back(self, query: SlotQuery, source: str) -> bool:
        # A local answer given because Cal.com failed is not cached: it may recover any moment.
        return (
            source == "local"
            and query.service.calcom_event_type_id is not None
            and (self.calendar is not None)
        )


class _CalendarReads:
    """The qualified staff's calendars around the anchor and over the whole window, each
    read at most once (for all staff together) however many groups the search asks for."""

    def __init__(
        self,
        loader: CalendarLoader,
        candidates: list[Staff],
        anchor: datetime,
        tz: ZoneInfo,
        window: Interval,
        generation: int | None = None,
    ) -> None:
        self.loader = loader
        self.generation = generation
        self.candidates = candidates
        self.near_window = Interval(*day_with_neighbours(anchor, tz))
        self.window = window
        self.near: dict[int, StaffCalendar] | None = None
        self.whole: dict[int, StaffCalendar] | None = None

    async def near_for(self, staff: list[Staff]) -> list[StaffCalendar]:
        if self.near is None:
            self.near = await self._read(self.near_window)
        return [self.near[member.id] for member in staff]

    async def window_for(self, staff: list[Staff]) -> list[StaffCalendar]:
        if self.whole is None:
            self.whole = await self._read(self.window)
        return [self.whole[member.id] for member in staff]

    async def _read(self, window: Interval) -> dict[int, StaffCalendar]:
        calendars = await self.loader.calendars(self.candidates, window, generation=self.generation)
        return {calendar.staff_id: calendar for calendar in calendars}


def check_key(request: AvailabilityCheck) -> str:
    """The key a check's answer is stored under (with the company's generation)."""
    return (
        f"check:{request.branch_id}:{request.service_id}:{request.staff_id}:"
        f"{request.start.isoformat()}:{request.max_alternatives}"
    )


def _slot_read(slot: Slot, tz: ZoneInfo) -> SlotRead:
    return SlotRead(
        start=slot.start.astimezone(tz),
        end=slot.end.astimezone(tz),
        staff_id=slot.staff_id,
        staff_name=slot.staff_name,
    )
