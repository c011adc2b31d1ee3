"""Pushes local booking changes of Cal.com-linked services to Cal.com (DESIGN §5.3, §5.7).

A new booking is first committed as `pending`, which holds the slot while Cal.com is asked
(up to 5 s, with no lock held); it then becomes `confirmed` with Cal.com's uid, or is
cancelled and committed as such before the caller hears why. Cancellations and reschedules
are sent before the local change commits: if Cal.com cannot take them, nothing changes here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.calcom.client import CalcomClient
from app.calcom.errors import (
    CalcomError,
    CalcomRejectedError,
    CalcomSlotTakenError,
    CalendarRejectedError,
    CalendarUnavailableError,
)
from app.config import FeatureFlags
from app.db import run_after_commit
from app.scheduling.models import Appointment, AppointmentStatus
from app.tenancy.models import Company, Customer, Service

logger = logging.getLogger("app.calcom.sync")

SlotTakenHandler = Callable[[], Awaitable[Exception]]


class CalendarSync:
    def __init__(
        self,
        client: CalcomClient,
        session: AsyncSession,
        flags: FeatureFlags,
        on_change: Callable[[AsyncSession], Awaitable[None]],
    ) -> None:
        self.client = client
        self.session = session
        self.flags = flags
        # Invalidates the availability cache in a transaction this class commits.
        self.on_change = on_change

    @staticmethod
    def applies_to(service: Service) -> bool:
        return service.calcom_event_type_id is not None

    async def confirm_new(
        self,
        appointment: Appointment,
        service: Service,
        customer: Customer,
        company: Company,
        on_slot_taken: SlotTakenHandler,
    ) -> None:
        """Create the Cal.com booking for a pending appointment; see the module docstring."""
        # The one documented commit inside a service: the pending row must hold the slot
        # (and be visible to other requests) before the slow external call.
        await self.session.commit()
        await run_after_commit(self.session)
        try:
            booking = await self.client.create_booking(
                service.calcom_event_type_id,  # type: ignore[arg-type]
                appointment.starts_at,
                self._attendee(customer, company),
                self._metadata(appointment, service),
            )
        except CalcomError as exc:
            await self._release(appointment, exc)
            raise await self._translate(exc, "book", on_slot_taken) from exc
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.calcom_booking_uid = booking.uid
        await self.session.flush()

    async def cancel(self, appointment: Appointment, reason: str | None) -> None:
        if appointment.calcom_booking_uid is None:
            return
        try:
            await self.client.cancel_booking(appointment.calcom_booking_uid, reason)
        except CalcomRejectedError as exc:
            if exc.status == 404:
                # Gone from Cal.com already (cancelled or deleted there): cancel here too.
                logger.info(
                    "calcom.cancel_unknown_booking", extra={"appointment_id": appointment.id}
                )
                return
            raise await self._translate(exc, "cancel") from exc
        except CalcomError as exc:
            raise await self._translate(exc, "cancel") from exc

    async def reschedule(
        self, appointment: Appointment, reason: str | None, on_slot_taken: SlotTakenHandler
    ) -> None:
        if appointment.calcom_booking_uid is None:
            return
        try:
            booking = await self.client.reschedule_booking(
                appointment.calcom_booking_uid, appointment.starts_at, reason
            )
        except CalcomError as exc:
            raise await self._translate(exc, "move", on_slot_taken) from exc
        # Cal.com gives a rescheduled booking a new uid (the old one is cancelled there).
        appointment.calcom_booking_uid = booking.uid

    @staticmethod
    async def _translate(
        exc: CalcomError, action: str, on_slot_taken: SlotTakenHandler | None = None
    ) -> Exception:
        """The caller's answer to a Cal.com failure: nothing was changed here in any case."""
        if isinstance(exc, CalcomSlotTakenError) and on_slot_taken is not None:
            return await on_slot_taken()
        if isinstance(exc, CalcomRejectedError):
            return CalendarRejectedError(
                f"The calendar refused to {action} this appointment ({exc.message}); "
                "nothing was changed."
            )
        return CalendarUnavailableError(
            f"The calendar could not {action} this appointment right now; nothing was "
            "changed. Try again shortly or offer the caller a callback.",
            callback_offered=True,
        )

    async def _release(self, appointment: Appointment, exc: CalcomError) -> None:
        """Cancel the pending appointment durably, so the slot is free again."""
        logger.warning(
            "calcom.booking_not_confirmed",
            extra={"appointment_id": appointment.id, "error": str(exc)[:300]},
        )
        appointment.status = AppointmentStatus.CANCELLED
        await self.on_change(self.session)
        await self.session.commit()
        await run_after_commit(self.session)

    def _attendee(self, customer: Customer, company: Company) -> dict[str, str]:
        attendee = {
            "name": customer.name,
            "timeZone": company.timezone,
            "language": customer.language or company.language,
        }
        if customer.email:
            attendee["email"] = customer.email
        if customer.phone:
            attendee["phoneNumber"] = customer.phone
        return attendee

    def _metadata(self, appointment: Appointment, service: Service) -> dict[str, str]:
        metadata = {"appointment_id": str(appointment.id)}
        if self.flags.processing_time_calcom_sync and service.has_processing_time:
            metadata["processing_phases"] = (
                f"initial:{service.initial_duration},processing:{service.processing_duration},"
                f"final:{service.final_duration}"
            )
        return metadata
