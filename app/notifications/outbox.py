"""The outbox: what must be sent, written in the same transaction as the change that caused
it, so a committed change always has its messages and a rolled-back one never does.

Rows hold what to send, on which channel, when, the settings resolved for it and the
appointment's facts as of the change (pending reminders are updated when it moves or
changes service); the dispatcher reads the recipient's current address and renders the
text when it sends. One INSERT per change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.db import utcnow
from app.notifications.config_service import NotificationSettings, Target
from app.notifications.events import REMINDERS
from app.notifications.models import DeliveryStatus, NotificationDelivery
from app.tenancy.models import Staff

# What each appointment change tells the customer.
EVENTS_OF_CHANGE = {
    "booked": "booking_confirmed",
    "rescheduled": "reschedule_confirmed",
    "cancelled": "cancellation",
    "service_changed": "appointment_modified",
    "completed": "appointment_completed",
    "no_show": "no_show",
}
# After these, reminders of the appointment are no longer wanted.
ENDS_REMINDERS = {"cancelled", "completed", "no_show"}


class AppointmentFacts(Protocol):
    id: int
    company_id: int
    branch_id: int
    service_id: int
    staff_id: int
    customer_id: int
    starts_at: datetime
    status: str


class CallbackFacts(Protocol):
    id: int
    company_id: int
    branch_id: int
    service_id: int | None
    staff_id: int | None
    phone: str
    customer_name: str | None


class NotificationOutbox:
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.company_id = company_id
        self.settings = NotificationSettings(session, company_id, cache)
        self.clock = clock

    async def appointment_changed(
        self,
        kind: str,
        appointment: AppointmentFacts,
        details: dict[str, Any] | None = None,
    ) -> None:
        target = Target(
            self.company_id, appointment.branch_id, appointment.service_id, appointment.staff_id
        )
        rows: list[dict[str, Any]] = []
        now = self.clock()
        if (event := EVENTS_OF_CHANGE.get(kind)) is not None:
            rows += await self._rows(event, target, now, appointment=appointment, details=details)
        if kind == "booked":
            rows += await self._reminders(appointment, target, now, have=set())
        elif kind == "rescheduled":
            have = await self._move_reminders(appointment, now)
            rows += await self._reminders(appointment, target, now, have=have)
        elif kind == "service_changed":
            await self._move_reminders(appointment, now)  # they speak of the new service
        elif kind in ENDS_REMINDERS:
            await self._cancel_reminders(appointment.id)
        if rows:
            await self.session.execute(insert(NotificationDelivery), rows)

    async def callback_received(self, callback: CallbackFacts) -> None:
        """Tell staff: the preferred staff member, else the branch's active staff with an
        e-mail address (one message each)."""
        staff = await self._callback_staff(callback)
        target = Target(self.company_id, callback.branch_id, callback.service_id, callback.staff_id)
        rows: list[dict[str, Any]] = []
        for member in staff:
            rows += await self._rows(
                "callback_request_received",
                target,
                self.clock(),
                callback=callback,
                recipient=member.email,
                details={
                    "staff_id": member.id,
                    "callback": {
                        "customer_name": callback.customer_name,
                        "phone": callback.phone,
                        "branch_id": callback.branch_id,
                        "service_id": callback.service_id,
                    },
                },
            )
        if rows:
            await self.session.execute(insert(NotificationDelivery), rows)

    # --- internals -------------------------------------------------------------------------

    async def _rows(
        self,
        event_type: str,
        target: Target,
        due: datetime,
        *,
        appointment: AppointmentFacts | None = None,
        callback: CallbackFacts | None = None,
        recipient: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        effective = await self.settings.resolve(event_type, target)
        config = effective.config
        if not config["is_enabled"]:
            return []
        return [
            {
                "company_id": self.company_id,
                "event_type": event_type,
                "channel": config["channel"],
                "recipient": recipient,
                "payload": {
                    "fallback_channel": config["fallback_channel"],
                    "retry_count": config["retry_count"],
                    "retry_delay_minutes": config["retry_delay_minutes"],
                    "template_override": config["template_override"],
                    **({"appointment": _facts(appointment)} if appointment is not None else {}),
                    **(details or {}),
                },
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": due,
                "appointment_id": appointment.id if appointment is not None else None,
                "callback_request_id": callback.id if callback is not None else None,
            }
        ]

    async def _reminders(
        self, appointment: AppointmentFacts, target: Target, now: datetime, have: set[str]
    ) -> list[dict[str, Any]]:
        """Reminders due before the start, only those still ahead and not already kept."""
        rows: list[dict[str, Any]] = []
        for event_type, before in REMINDERS.items():
            due = appointment.starts_at - before
            if event_type not in have and due > now:
                rows += await self._rows(event_type, target, due, appointment=appointment)
        return rows

    async def _move_reminders(self, appointment: AppointmentFacts, now: datetime) -> set[str]:
        """Pending reminders follow the new start; one whose new time has passed is
        cancelled. Answers the reminders kept."""
        pending = (
            await self.session.execute(
                select(NotificationDelivery).where(
                    NotificationDelivery.company_id == self.company_id,
                    NotificationDelivery.appointment_id == appointment.id,
                    NotificationDelivery.status == DeliveryStatus.PENDING,
                    NotificationDelivery.event_type.in_(list(REMINDERS)),
                )
            )
        ).scalars()
        kept: set[str] = set()
        for reminder in pending:
            due = appointment.starts_at - REMINDERS[reminder.event_type]
            if due > now:
                reminder.next_attempt_at = due
                reminder.payload = {**reminder.payload, "appointment": _facts(appointment)}
                kept.add(reminder.event_type)
            else:
                reminder.status = DeliveryStatus.CANCELLED
                reminder.last_error = "the appointment moved to within this reminder's time"
        await self.session.flush()
        return kept

    async def _cancel_reminders(self, appointment_id: int) -> None:
        await self.session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.company_id == self.company_id,
                NotificationDelivery.appointment_id == appointment_id,
                NotificationDelivery.status == DeliveryStatus.PENDING,
                NotificationDelivery.event_type.in_(list(REMINDERS)),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error="the appointment ended")
        )

    async def _callback_staff(self, callback: CallbackFacts) -> Sequence[Staff]:
        if callback.staff_id is not None:
            preferred = await self.session.get(Staff, callback.staff_id)
            if (
                preferred is not None
                and preferred.company_id == self.company_id
                and preferred.is_active
                and preferred.email
            ):
                return [preferred]
        stmt = (
            select(Staff)
            .where(
                Staff.company_id == self.company_id,
                Staff.branch_id == callback.branch_id,
                Staff.is_active.is_(True),
                Staff.email.is_not(None),
            )
            .order_by(Staff.id)
        )
        return list((await self.session.execute(stmt)).scalars().all())


def _facts(appointment: AppointmentFacts) -> dict[str, Any]:
    """What the message will say, as of this change (the dispatcher reads names by id)."""
    return {
        "starts_at": appointment.starts_at.isoformat(),
        "customer_id": appointment.customer_id,
        "service_id": appointment.service_id,
        "staff_id": appointment.staff_id,
        "branch_id": appointment.branch_id,
    }
