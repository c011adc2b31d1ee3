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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import constant_time_equals, hmac_sha256_hex
from app.cache import Cache
from app.calcom.wire import WebhookBooking, WebhookEnvelope
from app.config import FeatureFlags
from app.db import utcnow
from app.errors import (
    AuthenticationError,
    DomainError,
    PermissionDeniedError,
    ValidationFailedError,
)
from app.policies.modifications import Actor
from app.scheduling.ports import ChangeListener, ExternalBooking
from app.scheduling.service import SchedulingService
from app.tenancy.models import Company, Service
from app.webhook_log import WebhookLog, WebhookOutcome, body_fingerprint

logger = logging.getLogger("app.calcom.webhooks")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

CREATED, RESCHEDULED, CANCELLED, PING = (
    "BOOKING_CREATED",
    "BOOKING_RESCHEDULED",
    "BOOKING_CANCELLED",
    "PING",
)
KINDS: dict[str, Literal["created", "rescheduled", "cancelled"]] = {
    CREATED: "created",
    RESCHEDULED: "rescheduled",
    CANCELLED: "cancelled",
}


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
        listeners: Sequence[ChangeListener] = (),
    ) -> None:
        self.session = session
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.cache = cache
        self.flags = flags
        self.default_region = default_region
        self.listeners = listeners
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
        """Through scheduling's one writer, as Cal.com (recorded, never refused)."""
        scheduling = SchedulingService(
            self.session,
            company.id,
            self.cache,
            self.flags,
            default_region=self.default_region,
            clock=self.clock,
            actor=Actor.calcom(booking.uid),
            listeners=self.listeners,
        )
        attendee = booking.attendees[0] if booking.attendees else None
        # Control characters (a NUL, say) have no place in a name read back to people.
        name = _CONTROL.sub(" ", attendee.name if attendee and attendee.name else "").strip()
        change = ExternalBooking(
            kind=KINDS[trigger],
            uid=booking.uid or "",
            service_id=service.id if service is not None else None,
            start=booking.start_time,
            end=booking.end_time,
            previous_uid=booking.reschedule_uid,
            organizer_id=booking.organizer.id if booking.organizer else None,
            attendee_name=name or None,
            attendee_email=attendee.email if attendee else None,
            attendee_phone=attendee.phone_number if attendee else None,
            title=booking.title,
            reason=booking.cancellation_reason,
            local_id=_local_id(booking.metadata),
        )
        if change.kind != "cancelled" and (not change.uid or change.start is None):
            raise MalformedWebhookError("A created or rescheduled booking needs uid and startTime.")
        try:
            outcome = await scheduling.apply_external(change)
        except ValidationFailedError as exc:
            raise MalformedWebhookError(exc.detail) from exc
        appointment_id = outcome.appointment.id if outcome.appointment is not None else None
        status = WebhookOutcome.IGNORED if outcome.status == "ignored" else WebhookOutcome.PROCESSED
        if outcome.status == "applied":
            logger.info("calcom.booking_applied", extra={"appointment_id": appointment_id})
        return WebhookResult(status, outcome.detail, appointment_id)


def _local_id(metadata: dict[str, Any] | None) -> int | None:
    value = str((metadata or {}).get("appointment_id", ""))
    return int(value) if value.isdigit() and len(value) < 10 else None


def outcome_body(result: WebhookResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "detail": result.detail,
        "appointment_id": result.appointment_id,
    }
