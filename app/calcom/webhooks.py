"""Applies Cal.com booking webhooks to local appointments (DESIGN §5.7).

Verified, deduplicated, matched to a company by event type or team, then applied: a created
booking becomes an appointment (unless it is our own echo), a rescheduled one moves (Cal.com
gives it a new uid and names the old one in `rescheduleUid`), a cancelled one is cancelled.
Cal.com is the source of truth here: nothing is refused, but every change is logged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from app.auth import constant_time_equals, hmac_sha256_hex
from app.cache import Cache
from app.calcom.wire import WebhookBooking, WebhookEnvelope
from app.config import FeatureFlags
from app.db import utcnow
from app.e164 import normalise_phone
from app.errors import AuthenticationError, DomainError, PermissionDeniedError
from app.policies.modifications import Actor, ModificationPolicy
from app.policies.rules import Action
from app.scheduling.availability import availability_cache
from app.scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from app.scheduling.phases import move_appointment, phases_for
from app.tenancy.company_settings import CompanySettings
from app.tenancy.customers import CustomerService
from app.tenancy.models import Company, Customer, Service, Staff, staff_services
from app.webhook_log import WebhookLog, WebhookOutcome, body_fingerprint

logger = logging.getLogger("app.calcom.webhooks")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

CREATED, RESCHEDULED, CANCELLED, PING = (
    "BOOKING_CREATED",
    "BOOKING_RESCHEDULED",
    "BOOKING_CANCELLED",
    "PING",
)


class MalformedWebhookError(DomainError):
    status, type, title = 400, "malformed-webhook", "Malformed webhook"


@dataclass
class WebhookResult:
    status: WebhookOutcome
    detail: str
    appointment_id: int | None = None


def verify_signature(secret: str | None, raw_body: bytes, signature: str | None) -> None:
    """`x-cal-signature-256` is the lowercase hex HMAC-SHA256 of the raw body."""
    if not secret:
        raise AuthenticationError(
            "Cal.com webhooks are not enabled: CALCOM_WEBHOOK_SECRET is unset."
        )
    if not signature or not constant_time_equals(
        signature.strip().lower(), hmac_sha256_hex(secret, raw_body)
    ):
        raise AuthenticationError("Invalid or missing x-cal-signature-256.")


class CalcomWebhookService:
    def __init__(
        self,
        session: AsyncSession,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache: Cache,
        flags: FeatureFlags,
        default_region: str = "DE",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.cache = cache
        self.flags = flags
        self.default_region = default_region
        self.log = WebhookLog(session, "calcom")

    async def handle(self, raw_body: bytes) -> WebhookResult:
        dedup_key = body_fingerprint(raw_body)
        try:
            envelope = WebhookEnvelope.model_validate(json.loads(raw_body))
            booking = WebhookBooking.model_validate(envelope.payload)
        except (ValueError, ValidationError, RecursionError) as exc:
            # RecursionError: JSON nested deeper than the parser follows.
            await self._refuse(dedup_key, "unknown", WebhookOutcome.MALFORMED, None, str(exc))
            raise MalformedWebhookError(f"Not a Cal.com webhook body: {str(exc)[:200]}") from exc
        trigger = envelope.trigger_event
        # The log row is the claim: a concurrent redelivery fails on its unique key.
        event = await self.log.claim(dedup_key, trigger, envelope.payload)
        if event is None:
            return WebhookResult(WebhookOutcome.DUPLICATE, "already received; nothing changed")
        if trigger == PING:
            event.status = WebhookOutcome.IGNORED
            return WebhookResult(WebhookOutcome.IGNORED, "pong")
        if trigger not in (CREATED, RESCHEDULED, CANCELLED):
            event.status = WebhookOutcome.IGNORED
            return WebhookResult(WebhookOutcome.IGNORED, f"{trigger} is not handled")
        company, service, refusal = await self._owner(booking)
        if company is None:
            await self._refuse(
                dedup_key, trigger, WebhookOutcome.REJECTED, envelope.payload, refusal
            )
            raise PermissionDeniedError(refusal)
        try:
            result = await self._apply(trigger, company, service, booking)
        except DomainError as exc:
            # Refused while being applied: recorded like any other refusal.
            await self._refuse(
                dedup_key, trigger, WebhookOutcome.MALFORMED, envelope.payload, exc.detail
            )
            raise
        event.status, event.company_id = result.status, company.id
        await availability_cache(self.cache, company.id).invalidate(self.session)
        return result

    async def _refuse(
        self,
        dedup_key: str,
        trigger: str,
        outcome: WebhookOutcome,
        payload: dict[str, Any] | None,
        error: str,
    ) -> None:
        """Store a refused event durably: the request's own transaction is rolled back by the
        error response, so the record goes through a transaction of its own. The request's
        transaction is released first (on SQLite it holds the only write lock)."""
        await self.session.rollback()
        async with self.sessionmaker() as session:
            await WebhookLog(session, "calcom").record(
                dedup_key, trigger, outcome, payload=payload, error=error[:500]
            )
            await session.commit()

    async def _owner(self, booking: WebhookBooking) -> tuple[Company | None, Service | None, str]:
        """The company a booking belongs to (with the service of its event type), or a
        refusal. Event types and teams belong to one company each (unique keys); when a
        booking names both, they must belong to the same company, so no tenant can route
        another's bookings to itself by claiming an event type id."""
        team_owner = None
        if booking.team_ref is not None:
            team_owner = await self.session.scalar(
                select(Company).where(
                    Company.calcom_team_id == booking.team_ref, Company.is_active.is_(True)
                )
            )
        if booking.event_type_id is not None:
            row = (
                await self.session.execute(
                    select(Company, Service)
                    .join(Service, Service.company_id == Company.id)
                    .where(
                        Service.calcom_event_type_id == booking.event_type_id,
                        Company.is_active.is_(True),
                    )
                )
            ).first()
            if row is not None:
                company, service = row
                if booking.team_ref is not None and (
                    team_owner is None or team_owner.id != company.id
                ):
                    return (
                        None,
                        None,
                        (
                            f"Event type {booking.event_type_id} and team {booking.team_ref} do "
                            "not belong to the same company here; link the team to the company "
                            "(calcom_team_id) that owns the event type."
                        ),
                    )
                return company, service, ""
        if team_owner is not None:
            return team_owner, None, ""
        return None, None, "The event type or team of this booking is not known here."

    async def _apply(
        self, trigger: str, company: Company, service: Service | None, booking: WebhookBooking
    ) -> WebhookResult:
        if trigger == CREATED:
            return await self._created(company, service, booking)
        if trigger == RESCHEDULED:
            return await self._rescheduled(company, service, booking)
        return await self._cancelled(company, booking)

    async def _created(
        self, company: Company, service: Service | None, booking: WebhookBooking
    ) -> WebhookResult:
        existing = await self._by_uid(company.id, booking.uid)
        if existing is not None:
            return WebhookResult(WebhookOutcome.PROCESSED, "already known", existing.id)
        if service is None or booking.start_time is None or not booking.uid:
            raise MalformedWebhookError(
                "A created booking needs uid, startTime and a known eventTypeId."
            )
        staff = await self._staff(company.id, service, booking)
        if staff is None:
            return WebhookResult(WebhookOutcome.IGNORED, "no staff member performs this service")
        customer = await self._customer(company, booking)
        start = booking.start_time
        appointment = Appointment(
            company_id=company.id,
            branch_id=staff.branch_id,
            service_id=service.id,
            staff_id=staff.id,
            customer_id=customer.id,
            starts_at=start,
            ends_at=booking.end_time or start + timedelta(minutes=service.duration_minutes),
            status=AppointmentStatus.CONFIRMED,
            source=AppointmentSource.CALCOM,
            calcom_booking_uid=booking.uid,
            notes=booking.title,
        )
        appointment.phases = phases_for(service, self.flags, company.id, staff.id, start)
        self.session.add(appointment)
        await self.session.flush()
        logger.info("calcom.booking_created", extra={"appointment_id": appointment.id})
        return WebhookResult(WebhookOutcome.PROCESSED, "appointment created", appointment.id)

    async def _rescheduled(
        self, company: Company, service: Service | None, booking: WebhookBooking
    ) -> WebhookResult:
        if await self._by_uid(company.id, booking.uid) is not None:
            return WebhookResult(WebhookOutcome.PROCESSED, "already at the new time")
        appointment = await self._by_uid(company.id, booking.reschedule_uid)
        if appointment is None:
            # Never seen the original: treat the new booking as created.
            return await self._created(company, service, booking)
        if booking.start_time is None:
            raise MalformedWebhookError("A rescheduled booking needs startTime.")
        moved_from = appointment.starts_at
        duration = appointment.ends_at - appointment.starts_at
        move_appointment(
            appointment, booking.start_time, booking.end_time or booking.start_time + duration
        )
        appointment.calcom_booking_uid = booking.uid
        await self._audit(company, appointment, Action.RESCHEDULE, booking, starts_at=moved_from)
        await self.session.flush()
        return WebhookResult(WebhookOutcome.PROCESSED, "appointment moved", appointment.id)

    async def _cancelled(self, company: Company, booking: WebhookBooking) -> WebhookResult:
        # Cancellations carry no metadata: match on the uid alone.
        appointment = await self._by_uid(company.id, booking.uid)
        if appointment is None:
            return WebhookResult(WebhookOutcome.IGNORED, "unknown booking uid")
        if appointment.status != AppointmentStatus.CANCELLED:
            appointment.status = AppointmentStatus.CANCELLED
            await self._audit(company, appointment, Action.CANCEL, booking)
            await self.session.flush()
        return WebhookResult(WebhookOutcome.PROCESSED, "appointment cancelled", appointment.id)

    async def _audit(
        self,
        company: Company,
        appointment: Appointment,
        action: Action,
        booking: WebhookBooking,
        starts_at: datetime | None = None,
    ) -> None:
        """Recorded like any change (audit row, quota counter) but never refused: Cal.com
        has already made it."""
        recorder = ModificationPolicy(
            self.session, company.id, self.cache, Actor.calcom(booking.uid), clock=self.clock
        )
        await recorder.record_external(
            appointment, action, reason=booking.cancellation_reason, starts_at=starts_at
        )

    async def _by_uid(self, company_id: int, uid: str | None) -> Appointment | None:
        if not uid:
            return None
        result = await self.session.execute(
            select(Appointment)
            .where(Appointment.company_id == company_id, Appointment.calcom_booking_uid == uid)
            .options(selectinload(Appointment.phases))
        )
        return result.scalar_one_or_none()

    async def _staff(
        self, company_id: int, service: Service, booking: WebhookBooking
    ) -> Staff | None:
        qualified = (
            select(Staff)
            .join(staff_services, staff_services.c.staff_id == Staff.id)
            .where(
                Staff.company_id == company_id,
                staff_services.c.service_id == service.id,
                Staff.is_active.is_(True),
            )
            .order_by(Staff.id)
        )
        if service.branch_id is not None:
            qualified = qualified.where(Staff.branch_id == service.branch_id)
        organizer_id = booking.organizer.id if booking.organizer else None
        if organizer_id is not None:
            match = (
                (await self.session.execute(qualified.where(Staff.calcom_user_id == organizer_id)))
                .scalars()
                .first()
            )
            if match is not None:
                return match
        return (await self.session.execute(qualified)).scalars().first()

    async def _customer(self, company: Company, booking: WebhookBooking) -> Customer:
        attendee = booking.attendees[0] if booking.attendees else None
        # Control characters (a NUL, say) have no place in a name read back to people.
        name = _CONTROL.sub(" ", attendee.name if attendee and attendee.name else "").strip()
        name = name or "Cal.com guest"
        email = attendee.email if attendee else None
        phone = None
        if attendee and attendee.phone_number:
            region = CompanySettings.from_stored(company.settings).region(self.default_region)
            try:
                phone = normalise_phone(attendee.phone_number, region)
            except DomainError:
                logger.warning("calcom.attendee_phone_invalid")
        customers = CustomerService(self.session, company.id)
        return await customers.find_or_create(name=name, phone=phone, email=email)


def outcome_body(result: WebhookResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "detail": result.detail,
        "appointment_id": result.appointment_id,
    }
