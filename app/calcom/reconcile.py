"""Reconciliation with Cal.com (DESIGN §5.7): repairs what a lost webhook or a booking call
that timed out on our side left different.

For every company with Cal.com-linked services, the bookings of its event types changed
since a moment are read from Cal.com (`GET /v2/bookings`, paginated) and applied through
scheduling's one writer, as Cal.com: a booking we lack is created, one cancelled there is
cancelled here, one moved there is moved here. Our own pending holds older than
`HOLD_GRACE` are confirmed when Cal.com has their booking (found by the appointment id we
send as metadata), else released. A second run changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cache import Cache
from app.calcom.client import CalcomClient
from app.calcom.wire import Booking
from app.config import FeatureFlags
from app.db import transaction, utcnow
from app.policies.modifications import Actor
from app.scheduling.models import Appointment, AppointmentStatus
from app.scheduling.ports import ChangeListener, ExternalBooking
from app.scheduling.service import SchedulingService
from app.tenancy.models import Company, Service

logger = logging.getLogger("app.calcom.reconcile")

# A hold younger than this may still have its booking call in flight.
HOLD_GRACE = timedelta(minutes=10)
PAGE_SIZE = 100


@dataclass
class ReconcileSummary:
    created: int = 0
    moved: int = 0
    cancelled: int = 0
    confirmed: int = 0
    released: int = 0
    companies: int = 0
    bookings_read: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: ReconcileSummary) -> None:
        for name in ("created", "moved", "cancelled", "confirmed", "released", "bookings_read"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.companies += 1

    @property
    def line(self) -> str:
        return (
            f"created {self.created}, moved {self.moved}, cancelled {self.cancelled}, "
            f"confirmed {self.confirmed}, released {self.released}"
        )


class CalcomReconciler:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache: Cache,
        client: CalcomClient,
        flags: FeatureFlags,
        *,
        default_region: str = "DE",
        clock: Callable[[], datetime] = utcnow,
        listeners: Sequence[ChangeListener] = (),
        progress: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.cache = cache
        self.client = client
        self.flags = flags
        self.default_region = default_region
        self.clock = clock
        self.listeners = listeners
        self.progress = progress

    async def run(self, since: datetime, company_id: int | None = None) -> ReconcileSummary:
        """Reconcile every linked company (or one). Cal.com errors propagate (the caller
        reports them and exits non-zero); what was applied before stays applied."""
        total = ReconcileSummary()
        for company, event_types in await self._linked_companies(company_id):
            result = await self._company(company, event_types, since)
            total.add(result)
            self.progress(f"{company.slug} (id {company.id}): {result.line}")
        return total

    async def _linked_companies(self, company_id: int | None) -> list[tuple[Company, dict]]:
        async with self.sessionmaker() as session:
            stmt = (
                select(Company, Service.calcom_event_type_id, Service.id)
                .join(Service, Service.company_id == Company.id)
                .where(Company.is_active.is_(True), Service.calcom_event_type_id.is_not(None))
                .order_by(Company.id)
            )
            if company_id is not None:
                stmt = stmt.where(Company.id == company_id)
            linked: dict[int, tuple[Company, dict[int, int]]] = {}
            for company, event_type_id, service_id in await session.execute(stmt):
                linked.setdefault(company.id, (company, {}))[1][event_type_id] = service_id
            return list(linked.values())

    async def _company(
        self, company: Company, event_types: dict[int, int], since: datetime
    ) -> ReconcileSummary:
        summary = ReconcileSummary()
        changed = await self._bookings(list(event_types), updated_after=since)
        summary.bookings_read = len(changed)
        async with transaction(self.sessionmaker) as session:
            scheduling = self._scheduling(session, company.id)
            for booking in changed:
                change = _external(booking, event_types)
                if change is None:
                    continue
                outcome = await scheduling.apply_external(change)
                if outcome.effect is not None:
                    setattr(summary, outcome.effect, getattr(summary, outcome.effect) + 1)
        await self._settle_holds(company, event_types, summary)
        return summary

    async def _settle_holds(
        self, company: Company, event_types: dict[int, int], summary: ReconcileSummary
    ) -> None:
        cutoff = self.clock() - HOLD_GRACE
        async with self.sessionmaker() as session:
            holds = list(
                (
                    await session.execute(
                        select(
                            Appointment.id, Appointment.created_at, Appointment.calcom_booking_uid
                        ).where(
                            Appointment.company_id == company.id,
                            Appointment.status == AppointmentStatus.PENDING,
                            Appointment.created_at < cutoff,
                        )
                    )
                ).all()
            )
            await session.rollback()
        if not holds:
            return
        # Their bookings, if Cal.com made them, were created after the oldest hold.
        created_after = min(created for _, created, _ in holds) - timedelta(minutes=5)
        made = await self._bookings(list(event_types), created_after=created_after)
        by_local_id = {
            int(local): booking.uid
            for booking in made
            if (local := str((booking.metadata or {}).get("appointment_id", ""))).isdigit()
            and booking.status != "cancelled"
        }
        async with transaction(self.sessionmaker) as session:
            scheduling = self._scheduling(session, company.id)
            for appointment_id, _, known_uid in holds:
                # A hold that already took its uid from an echo has its booking.
                uid = known_uid or by_local_id.get(appointment_id)
                await scheduling.settle_hold(appointment_id, uid)
                if uid:
                    summary.confirmed += 1
                else:
                    summary.released += 1

    async def _bookings(
        self,
        event_type_ids: list[int],
        *,
        updated_after: datetime | None = None,
        created_after: datetime | None = None,
    ) -> list[Booking]:
        bookings: list[Booking] = []
        while True:
            page = await self.client.list_bookings(
                event_type_ids,
                updated_after=updated_after,
                created_after=created_after,
                take=PAGE_SIZE,
                skip=len(bookings),
            )
            bookings.extend(page.data)
            if not page.pagination.has_next_page or not page.data:
                return bookings

    def _scheduling(self, session: AsyncSession, company_id: int) -> SchedulingService:
        return SchedulingService(
            session,
            company_id,
            self.cache,
            self.flags,
            default_region=self.default_region,
            clock=self.clock,
            actor=Actor.calcom(),
            listeners=self.listeners,
        )


def _external(booking: Booking, event_types: dict[int, int]) -> ExternalBooking | None:
    """The change a listed booking stands for, or None (the old half of a reschedule: the
    new booking, which names it, carries the move)."""
    kind: Literal["created", "rescheduled", "cancelled"]
    if booking.status == "cancelled":
        if booking.rescheduled_to_uid:
            return None
        kind = "cancelled"
    elif booking.status in ("accepted", "pending"):
        kind = "rescheduled" if booking.rescheduled_from_uid else "created"
    else:  # rejected
        return None
    attendee = booking.attendees[0] if booking.attendees else None
    local = str((booking.metadata or {}).get("appointment_id", ""))
    return ExternalBooking(
        kind=kind,
        uid=booking.uid,
        service_id=event_types.get(booking.event_type_id or 0),
        start=booking.start,
        end=booking.end,
        previous_uid=booking.rescheduled_from_uid,
        organizer_id=booking.hosts[0].id if booking.hosts else None,
        attendee_name=attendee.name if attendee else None,
        attendee_email=attendee.email if attendee else None,
        attendee_phone=attendee.phone_number if attendee else None,
        title=booking.title,
        reason=booking.cancellation_reason,
        local_id=int(local) if local.isdigit() and len(local) < 10 else None,
    )
