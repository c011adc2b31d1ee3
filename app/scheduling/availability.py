"""Availability: load calendars from the database and answer checks and day listings.

Results are cached for 60 s under keys that carry the company and a per-company generation;
every booking change bumps the generation after commit, so invalidation is one write and a
booked slot is never served from the cache afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.calcom.slots import CalcomSlotSource
from app.config import FeatureFlags
from app.db import utcnow
from app.errors import ValidationFailedError
from app.invalidation import GenerationCache
from app.repository import TenantScoped
from app.scheduling.intervals import BusyTimeline, Interval
from app.scheduling.models import Appointment, AppointmentPhase, AppointmentStatus
from app.scheduling.phases import is_split
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
from app.timezones import day_with_neighbours, local_day_bounds, to_utc

CACHE_TTL_SECONDS = 60
SEARCH_WINDOW_DAYS = 14


@dataclass(frozen=True)
class BookingRules:
    tz: ZoneInfo
    grid_minutes: int
    min_notice: timedelta


def availability_cache(cache: Cache, company_id: int) -> GenerationCache:
    """Computed availability of one company; every booking change bumps it after commit."""
    return GenerationCache(cache, "avail", company_id, CACHE_TTL_SECONDS)


class CalendarLoader(TenantScoped):
    """Reads what availability needs in a few set-based queries."""

    async def service(self, service_id: int, branch_id: int, location: str = "body") -> Service:
        service = await self.get_or_404(Service, service_id)
        field = f"{location}.service_id"
        if not service.is_active:
            raise ValidationFailedError(field, "the service is no longer offered")
        if service.branch_id is not None and service.branch_id != branch_id:
            raise ValidationFailedError(field, "the service is not offered at this branch")
        return service

    async def rules(self, branch_id: int) -> tuple[Branch, BookingRules]:
        branch = await self.get_or_404(Branch, branch_id)
        company = await self.session.get(Company, self.company_id)
        settings = CompanySettings.from_stored(company.settings)  # type: ignore[union-attr]
        rules = BookingRules(
            tz=ZoneInfo(branch.timezone or company.timezone),  # type: ignore[union-attr]
            grid_minutes=settings.grid_minutes,
            min_notice=settings.min_notice,
        )
        return branch, rules

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

    async def calendars(
        self,
        staff: Sequence[Staff],
        window: Interval,
        *,
        exclude_appointment_id: int | None = None,
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
        """Busy intervals: staff-required phases of split appointments, whole other
        appointments, and time off."""
        stmt = (
            select(
                Appointment.id,
                Appointment.staff_id,
                Appointment.starts_at,
                Appointment.ends_at,
                AppointmentPhase.starts_at.label("phase_start"),
                AppointmentPhase.ends_at.label("phase_end"),
                AppointmentPhase.staff_required,
            )
            .outerjoin(AppointmentPhase, AppointmentPhase.appointment_id == Appointment.id)
            .where(
                Appointment.company_id == self.company_id,
                Appointment.staff_id.in_(staff_ids),
                Appointment.status != AppointmentStatus.CANCELLED,
                Appointment.starts_at < window.end,
                Appointment.ends_at > window.start,
            )
        )
        if exclude_appointment_id is not None:
            stmt = stmt.where(Appointment.id != exclude_appointment_id)
        busy: dict[int, list[Interval]] = defaultdict(list)
        for row in await self.session.execute(stmt):
            if row.phase_start is None:
                busy[row.staff_id].append(Interval(row.starts_at, row.ends_at))
            elif row.staff_required:
                busy[row.staff_id].append(Interval(row.phase_start, row.phase_end))
        time_off = await self.session.execute(
            select(TimeOff.staff_id, TimeOff.starts_at, TimeOff.ends_at).where(
                and_(
                    TimeOff.company_id == self.company_id,
                    TimeOff.staff_id.in_(staff_ids),
                    TimeOff.starts_at < window.end,
                    TimeOff.ends_at > window.start,
                )
            )
        )
        for staff_id, starts_at, ends_at in time_off:
            busy[staff_id].append(Interval(starts_at, ends_at))
        return busy


@dataclass
class SlotQuery:
    """A request resolved against the database: who may do it, under which rules."""

    service: Service
    rules: BookingRules
    split: bool
    requested_staff: Staff | None
    candidates: list[Staff]  # requested staff first, then the rest of the qualified staff


class AvailabilityService(TenantScoped):
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        flags: FeatureFlags,
        clock: Callable[[], datetime] = utcnow,
        calendar: CalcomSlotSource | None = None,
    ) -> None:
        super().__init__(session, company_id)
        self.loader = CalendarLoader(session, company_id)
        self.cache = availability_cache(cache, company_id)
        self.flags = flags
        self.clock = clock
        self.calendar = calendar

    async def resolve(
        self, branch_id: int, service_id: int, staff_id: int | None, location: str = "body"
    ) -> SlotQuery:
        """`location` names where the ids came from in errors (`body` or `query`)."""
        _, rules = await self.loader.rules(branch_id)
        service = await self.loader.service(service_id, branch_id, location)
        qualified = await self.loader.qualified_staff(branch_id, service_id)
        requested = None
        if staff_id is not None:
            requested = await self.get_or_404(Staff, staff_id)
            if requested.branch_id != branch_id or not requested.is_active:
                raise ValidationFailedError(
                    f"{location}.staff_id", "the staff member does not work at this branch"
                )
            if requested.id not in {member.id for member in qualified}:
                raise ValidationFailedError(
                    f"{location}.staff_id", "the staff member does not perform this service"
                )
            qualified = [requested] + [m for m in qualified if m.id != requested.id]
        return SlotQuery(service, rules, is_split(service, self.flags), requested, qualified)

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
        key = (
            f"check:{request.branch_id}:{request.service_id}:{request.staff_id}:"
            f"{request.start.isoformat()}:{request.max_alternatives}"
        )
        found = await self.cache.lookup(key)
        if found.value is not None:
            return AvailabilityCheckResult.model_validate(found.value)
        query = await self.resolve(request.branch_id, request.service_id, request.staff_id)
        start = to_utc(request.start, query.rules.tz)
        result = await self.evaluate(query, start, request.max_alternatives)
        if not self._fell_back(query, result.source):
            await found.store(result.model_dump(mode="json"))
        return result

    async def evaluate(
        self, query: SlotQuery, start: datetime, max_alternatives: int
    ) -> AvailabilityCheckResult:
        """Whether `start` is free for the query's staff, with alternatives when it is not."""
        finder = self.finder(query)
        window = self._search_window(finder, start)
        finder.external, source = await self._external_view(query, window)
        tz = query.rules.tz
        staff_for_slot = [query.requested_staff] if query.requested_staff else query.candidates
        calendars = await self.loader.calendars(
            staff_for_slot, Interval(*day_with_neighbours(start, tz))
        )
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
        alternatives = await self.alternatives(query, start, max_alternatives, finder, window)
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
    ) -> list[AlternativeRead]:
        """Nearest free starts: the requested staff member's first, then any qualified one."""
        if limit == 0 or not query.candidates:
            return []
        finder = finder or self.finder(query)
        window = window or self._search_window(finder, start)
        tz = query.rules.tz
        anchor = finder.anchor_for(start)
        staff = query.candidates
        groups = [staff[:1], staff[1:]] if query.requested_staff else [staff]
        chosen: list[Alternative] = []
        for group in groups:
            if len(chosen) >= limit or not group:
                continue
            taken = {alt.slot.start for alt in chosen}
            nearest = await self._nearest(finder, group, anchor, start, limit + len(taken), window)
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
        window: Interval,
    ) -> list[Alternative]:
        """Nearest free starts, reading as little of the calendar as the answer needs.

        Most requests find their alternatives within a day: the requested day and its
        neighbours are read first, and the whole window only when a day further out could
        still hold a closer start.
        """
        tz = finder.tz
        calendars = await self.loader.calendars(staff, Interval(*day_with_neighbours(anchor, tz)))
        found = finder.nearest(anchor, calendars, want, 1, exclude=exclude)
        day = anchor.astimezone(tz).date()
        horizon = min(
            day_distance(day + timedelta(days=2), anchor, tz),
            day_distance(day - timedelta(days=2), anchor, tz),
        )
        if len(found) >= want and max(abs(a.slot.start - anchor) for a in found) < horizon:
            return found
        calendars = await self.loader.calendars(staff, window)
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
                cached = (await self._day_slots(finder, staff, day)).model_dump(mode="json")
                if not self._fell_back(query, source):
                    await found.store(cached)
            days.append(DaySlots.model_validate(cached))
            day += timedelta(days=1)
        return AvailabilityList(days=days, source=source)

    async def _day_slots(self, finder: SlotFinder, staff: list[Staff], day: date) -> DaySlots:
        calendars = await self.loader.calendars(staff, Interval(*local_day_bounds(day, finder.tz)))
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


def _slot_read(slot: Slot, tz: ZoneInfo) -> SlotRead:
    return SlotRead(
        start=slot.start.astimezone(tz),
        end=slot.end.astimezone(tz),
        staff_id=slot.staff_id,
        staff_name=slot.staff_name,
    )
