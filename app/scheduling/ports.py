"""What scheduling needs from the outside, as protocols the integrations implement.

Scheduling never imports an integration: the Cal.com package implements `CalendarPort`
(and raises the errors below), the app wires it in, and listeners (the notification outbox,
say) are told about every appointment change through `ChangeListener`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession


class CalendarError(Exception):
    """The external calendar could not do what was asked; nothing was changed there."""


class CalendarSlotTakenError(CalendarError):
    """The time is no longer free in the external calendar."""


class CalendarDownError(CalendarError):
    """The calendar did not answer in time, failed, or its breaker is open."""


class CalendarRefusedError(CalendarError):
    """The calendar answered but refused the change (a rejection other than a taken slot)."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # The booking does not exist there (any more): cancelling it here may go ahead.
        self.gone = gone


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str | None
    phone: str | None
    time_zone: str
    language: str


@dataclass(frozen=True)
class CalendarBooking:
    uid: str
    start: datetime


class CalendarPort(Protocol):
    """An external calendar that owns some services' bookings (Cal.com)."""

    async def free_starts(
        self, company_id: int, event_type_id: int, first: date, last: date, tz: ZoneInfo
    ) -> dict[date, set[datetime]] | None:
        """Free starts per local day, or None when the calendar cannot answer now."""
        ...

    async def create_booking(
        self,
        event_type_id: int,
        start: datetime,
        attendee: Attendee,
        metadata: dict[str, str],
    ) -> CalendarBooking: ...

    async def cancel_booking(self, uid: str, reason: str | None) -> None: ...

    async def reschedule_booking(
        self, uid: str, start: datetime, reason: str | None
    ) -> CalendarBooking: ...


@dataclass(frozen=True)
class ExternalBooking:
    """A booking as the external calendar reports it (webhook or reconcile)."""

    kind: Literal["created", "rescheduled", "cancelled"]
    uid: str
    service_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    previous_uid: str | None = None
    organizer_id: int | None = None  # the calendar's user id of the staff member
    attendee_name: str | None = None
    attendee_email: str | None = None
    attendee_phone: str | None = None
    title: str | None = None
    reason: str | None = None
    # Our own appointment id when the booking was made from here (sent as metadata).
    local_id: int | None = None


class ChangeKind(enum.StrEnum):
    BOOKED = "booked"  # committed locally; for a calendar-linked service: confirmed there
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    SERVICE_CHANGED = "service_changed"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class AppointmentChange:
    """One appointment changed, in the transaction of `session`."""

    kind: ChangeKind
    appointment: Any  # app.scheduling.models.Appointment, phases loaded
    previous_start: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


class ChangeListener(Protocol):
    """Told of every appointment change inside its transaction (e.g. to write an outbox)."""

    async def __call__(self, session: AsyncSession, change: AppointmentChange) -> None: ...
