"""The functions a voice agent calls while the caller waits: one handler each, answering
`{success, message, data}`. `message` is what the agent reads aloud (the company's
language, at most two short sentences, times as people say them, no ids); `data` is the
machine-readable truth (ISO times with the branch's offset, ids).

The booking rules live in the services this calls (scheduling's one writer, availability,
the policies it enforces, callbacks); this layer understands what was said and says what
happened. It never leaves the caller at a dead end: a refusal offers alternatives or a
callback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.callbacks.schemas import CallbackCreate
from app.callbacks.service import CallbackService
from app.errors import DomainError, UpstreamUnavailableError, ValidationFailedError
from app.policies.errors import PolicyViolationError
from app.policies.models import AppointmentModification
from app.policies.modifications import Actor, ActorType
from app.scheduling.availability import AvailabilityService
from app.scheduling.errors import InvalidStatusTransitionError, SlotUnavailableError
from app.scheduling.models import MODIFIABLE_STATUSES, Appointment, AppointmentSource
from app.scheduling.schemas import (
    AppointmentCreate,
    AppointmentReschedule,
    AvailabilityCheck,
    AvailabilityQuery,
)
from app.scheduling.service import CalendarRejectedError, SchedulingService
from app.spoken import speak_date, speak_datetime, speak_time
from app.tenancy.models import Customer, Service, Staff, WorkingHours, staff_services
from app.voice.calls import Line, e164_or_none
from app.voice.models import CallInvocation
from app.voice.speech import Understanding, ask, speak_alternatives, understand
from app.voice.texts import say

logger = logging.getLogger("app.voice")

# German aliases the agent's prompt may use.
ALIASES = {
    "dienstleistung": "service",
    "leistung": "service",
    "datum": "date",
    "tag": "date",
    "uhrzeit": "time",
    "zeit": "time",
    "mitarbeiter": "staff",
    "mitarbeiterin": "staff",
    "friseur": "staff",
    "name": "customer_name",
    "telefon": "customer_phone",
    "telefonnummer": "customer_phone",
    "email": "customer_email",
    "grund": "reason",
    "termin_id": "appointment_id",
    "neues_datum": "new_date",
    "neue_uhrzeit": "new_time",
}
MUTATING = {"book_appointment", "cancel_appointment", "reschedule_appointment", "request_callback"}
ALTERNATIVES_SPOKEN = 2


@dataclass
class Answer:
    success: bool
    message: str
    data: dict[str, Any]

    def body(self) -> dict[str, Any]:
        return {"success": self.success, "message": self.message, "data": self.data}


def normalise_args(args: dict[str, Any]) -> dict[str, Any]:
    """Lower-case keys, German aliases to the English names, blanks dropped."""
    normalised: dict[str, Any] = {}
    for key, value in args.items():
        name = ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        normalised[name] = value.strip()[:500] if isinstance(value, str) else value
    return normalised


class VoiceFunctions:
    def __init__(
        self,
        session: AsyncSession,
        line: Line,
        caller: str | None,
        scheduling: SchedulingService,
        availability: AvailabilityService,
        callbacks: CallbackService,
        *,
        clock: Callable[[], datetime],
        skip_alternatives: bool = False,
        call_id: int | None = None,
    ) -> None:
        self.session = session
        self.line = line
        self.caller = caller
        self.scheduling = scheduling
        self.availability = availability
        self.callbacks = callbacks
        self.clock = clock
        self.lang = line.language
        self.skip_alternatives = skip_alternatives
        self.call_id = call_id
        self.handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Answer]]] = {
            "list_services": self.list_services,
            "get_opening_hours": self.get_opening_hours,
            "check_availability": self.check_availability,
            "book_appointment": self.book_appointment,
            "find_appointments": self.find_appointments,
            "cancel_appointment": self.cancel_appointment,
            "reschedule_appointment": self.reschedule_appointment,
            "request_callback": self.request_callback,
        }

    async def call(self, name: str, args: dict[str, Any]) -> Answer:
        handler = self.handlers.get(name)
        if handler is None:
            logger.warning("voice.unknown_function", extra={"function": name[:64]})
            return self._no("unknown_function", {"function": name[:64], "callback_offered": True})
        return await handler(normalise_args(args))

    # --- information -----------------------------------------------------------------------

    async def list_services(self, args: dict[str, Any]) -> Answer:
        services = await self.offered_services()
        data = {
            "services": [
                {
                    "id": service.id,
                    "name": service.name,
                    "duration_minutes": service.duration_minutes,
                    "price": str(service.price),
                }
                for service in services
            ]
        }
        if not services:
            return self._no("no_services", data)
        return self._yes("services", data, names=_listing([s.name for s in services], self.lang))

    async def get_opening_hours(self, args: dict[str, Any]) -> Answer:
        today = self._now().date()
        if "date" in args:
            understood = understand(date=str(args["date"]), now=self._now())
            if understood.day is None:
                return self._needs(understood)
            days = [understood.day]
        else:
            days = [today + timedelta(days=n) for n in range(7)]
        hours = await self.opening_hours()
        data = {
            "days": [
                {
                    "date": day.isoformat(),
                    "ranges": [
                        {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
                        for start, end in hours.get(day.weekday(), [])
                    ],
                }
                for day in days
            ]
        }
        first = days[0]
        ranges = hours.get(first.weekday(), [])
        spoken_day = speak_date(first, self.lang, today=today)
        if not ranges:
            return self._yes("closed", data, day=spoken_day)
        start, end = ranges[0][0], ranges[-1][1]
        return self._yes(
            "open",
            data,
            day=spoken_day,
            start=speak_time(start, self.lang),
            end=speak_time(end, self.lang),
        )

    # --- availability and booking ----------------------------------------------------------

    async def check_availability(self, args: dict[str, Any]) -> Answer:
        asked = await self._what_and_when(args)
        if isinstance(asked, Answer):
            return asked
        service, staff, understood = asked
        if understood.start is not None:
            return await self._check_start(service, staff, understood.start)
        return await self._offer_span(service, staff, understood)

    async def _check_start(self, service: Service, staff: Staff | None, start: datetime) -> Answer:
        result = await self.availability.check(
            AvailabilityCheck(
                branch_id=self.line.branch.id,
                service_id=service.id,
                staff_id=staff.id if staff else None,
                start=start,
                max_alternatives=0 if self.skip_alternatives else ALTERNATIVES_SPOKEN,
            )
        )
        data: dict[str, Any] = {
            "available": result.available,
            "requested_start": result.requested_start.isoformat(),
            "source": result.source,
            "alternatives": [self._alternative(alt) for alt in result.alternatives],
        }
        spoken = self._speak(start)
        if result.available and result.slot is not None:
            data["slot"] = {
                "start": result.slot.start.isoformat(),
                "end": result.slot.end.isoformat(),
                "staff_id": result.slot.staff_id,
                "staff_name": result.slot.staff_name,
            }
            return self._yes("free", data, when=spoken, staff=result.slot.staff_name)
        data["reason"] = result.reason
        return self._taken(spoken, data, [alt.start for alt in result.alternatives])

    async def _offer_span(
        self, service: Service, staff: Staff | None, understood: Understanding
    ) -> Answer:
        """A day (or part of one) without a time: its earliest free starts."""
        assert understood.span is not None
        first, last = understood.span
        listing = await self.availability.list_free(
            AvailabilityQuery(
                branch_id=self.line.branch.id,
                service_id=service.id,
                staff_id=staff.id if staff else None,
                date_from=first.date(),
                date_to=max(first.date(), (last - timedelta(seconds=1)).date()),
            )
        )
        now = self.clock()
        starts: list[Any] = []
        for day in listing.days:
            for slot in day.slots:
                if (
                    first <= slot.start < last
                    and slot.start >= now
                    and slot.start not in {s.start for s in starts}
                ):
                    starts.append(slot)
        chosen = starts[:ALTERNATIVES_SPOKEN]
        data = {
            "available": False,
            "requested_start": first.isoformat(),
            "source": listing.source,
            "alternatives": [self._alternative(slot) for slot in chosen],
        }
        if not chosen:
            return (
                await self._check_start(service, staff, first)
                if first > now
                else self._no("nothing_that_day", {**data, "callback_offered": True})
            )
        return self._yes(
            "day_offer",
            data,
            alternatives=speak_alternatives(
                [s.start.astimezone(self.line.tz) for s in chosen], self.lang, today=self._today()
            ),
        )

    async def book_appointment(self, args: dict[str, Any]) -> Answer:
        asked = await self._what_and_when(args)
        if isinstance(asked, Answer):
            return asked
        service, staff, understood = asked
        if understood.start is None:
            return self._needs(Understanding(day=understood.day, needs="time", reason="missing"))
        name = str(args.get("customer_name") or "").strip()
        if not name:
            return self._no("needs_name", {"needs": "customer_name"})
        phone = self._phone(args.get("customer_phone")) or self.caller
        if phone is None:
            return self._no("needs_phone", {"needs": "customer_phone"})
        start = understood.start
        try:
            body = AppointmentCreate(
                branch_id=self.line.branch.id,
                service_id=service.id,
                staff_id=staff.id if staff else None,
                start=start,
                customer={
                    "name": name[:200],
                    "phone": phone,
                    "email": args.get("customer_email"),
                },
                notes=str(args["notes"])[:2000] if args.get("notes") else None,
            )
        except ValidationError as exc:
            field = ".".join(str(part) for part in exc.errors()[0]["loc"])
            return self._no("invalid", {"needs": field.replace("customer.", "customer_")})
        try:
            appointment = await self.scheduling.book(body, source=AppointmentSource.VOICE)
        except SlotUnavailableError as exc:
            own = await self._booked_in_this_call(service.id, start)
            if own is not None:  # a retry whose first attempt got the slot: that is ours
                return await self._booked(own, service)
            return self._slot_taken(exc, start, "booked")
        except (UpstreamUnavailableError, CalendarRejectedError):
            return self._no(
                "calendar_down",
                {"booked": False, "callback_offered": True, "requested_start": start.isoformat()},
            )
        except ValidationFailedError as exc:
            return self._no("invalid_time", {"needs": "time", "reason": exc.detail})
        return await self._booked(appointment, service)

    async def _booked(self, appointment: Appointment, service: Service) -> Answer:
        tz = self.line.tz
        staff = await self.session.get(Staff, appointment.staff_id)
        data = {
            "appointment_id": appointment.id,
            "start": appointment.starts_at.astimezone(tz).isoformat(),
            "end": appointment.ends_at.astimezone(tz).isoformat(),
            "service_name": service.name,
            "staff_name": staff.name if staff else "",
            "status": str(appointment.status),
            "customer_id": appointment.customer_id,
        }
        return self._yes(
            "booked",
            data,
            service=service.name,
            staff=data["staff_name"],
            when=self._speak(appointment.starts_at),
        )

    async def _booked_in_this_call(self, service_id: int, start: datetime) -> Appointment | None:
        """The appointment this call booked at `start`, if a concurrent or earlier attempt
        of the same booking already made it."""
        if self.call_id is None:
            return None
        rows = await self.session.execute(
            select(CallInvocation.data).where(
                CallInvocation.call_id == self.call_id,
                CallInvocation.function == "book_appointment",
                CallInvocation.success.is_(True),
            )
        )
        for (data,) in rows:
            appointment_id = (data or {}).get("appointment_id")
            if appointment_id is None:
                continue
            appointment = await self.session.get(Appointment, appointment_id)
            if (
                appointment is not None
                and appointment.starts_at == start
                and appointment.service_id == service_id
                and appointment.status in MODIFIABLE_STATUSES
            ):
                return appointment
        return None

    # --- the caller's own appointments -----------------------------------------------------

    async def find_appointments(self, args: dict[str, Any]) -> Answer:
        customer = await self._caller_customer()
        if isinstance(customer, Answer):
            return customer
        upcoming = await self.scheduling.upcoming_for(customer.id) if customer else []
        data = {"appointments": [await self._listed(a) for a in upcoming]}
        if not upcoming:
            return self._yes("none_found", data)
        spoken = [item["spoken"] for item in data["appointments"][:ALTERNATIVES_SPOKEN]]
        key = "found_one" if len(upcoming) == 1 else "found"
        return self._yes(key, data, count=len(upcoming), listing=_listing(spoken, self.lang))

    async def cancel_appointment(self, args: dict[str, Any]) -> Answer:
        chosen = await self._chosen_appointment(args)
        if isinstance(chosen, Answer):
            return chosen
        try:
            cancelled = await self.scheduling.cancel(chosen.id, args.get("reason"), force=False)
        except PolicyViolationError as exc:
            return self._refused(exc, chosen)
        except InvalidStatusTransitionError:
            return self._no("not_changeable", {"appointment_id": chosen.id})
        except (UpstreamUnavailableError, CalendarRejectedError):
            return self._no("calendar_down_unchanged", {"callback_offered": True})
        fee = await self._last_fee(cancelled.id)
        data = {
            "appointment_id": cancelled.id,
            "status": "cancelled",
            "fee": f"{fee:.2f}",
            "start": cancelled.starts_at.astimezone(self.line.tz).isoformat(),
        }
        when = self._speak(cancelled.starts_at)
        if fee > 0:
            return self._yes("cancelled_fee", data, when=when, fee=_money(fee, self.lang))
        return self._yes("cancelled", data, when=when)

    async def reschedule_appointment(self, args: dict[str, Any]) -> Answer:
        chosen = await self._chosen_appointment(args)
        if isinstance(chosen, Answer):
            return chosen
        understood = understand(
            date=_str(args.get("new_date")),
            time=_str(args.get("new_time")),
            datetime_text=_str(args.get("new_datetime")),
            now=self._now(),
        )
        if understood.needs is not None or understood.start is None:
            if understood.needs is None:
                understood = Understanding(day=understood.day, needs="time", reason="missing")
            return self._needs(understood)
        start = understood.start
        try:
            moved = await self.scheduling.reschedule(
                chosen.id, AppointmentReschedule(start=start, reason=args.get("reason"))
            )
        except PolicyViolationError as exc:
            return self._refused(exc, chosen)
        except SlotUnavailableError as exc:
            return self._slot_taken(exc, start, "rescheduled")
        except InvalidStatusTransitionError:
            return self._no("not_changeable", {"appointment_id": chosen.id})
        except (UpstreamUnavailableError, CalendarRejectedError):
            return self._no("calendar_down_unchanged", {"callback_offered": True})
        except ValidationFailedError as exc:
            return self._no("invalid_time", {"needs": "time", "reason": exc.detail})
        fee = await self._last_fee(moved.id)
        data = {
            "appointment_id": moved.id,
            "start": moved.starts_at.astimezone(self.line.tz).isoformat(),
            "end": moved.ends_at.astimezone(self.line.tz).isoformat(),
            "fee": f"{fee:.2f}",
            "status": str(moved.status),
        }
        when = self._speak(moved.starts_at)
        if fee > 0:
            return self._yes("moved_fee", data, when=when, fee=_money(fee, self.lang))
        return self._yes("moved", data, when=when)

    async def request_callback(self, args: dict[str, Any]) -> Answer:
        phone = self._phone(args.get("phone") or args.get("customer_phone")) or self.caller
        if phone is None:
            return self._no("needs_phone", {"needs": "phone"})
        priority = str(args.get("priority", "normal")).lower()
        notes = None
        if args.get("preferred_time"):
            notes = f"preferred time: {str(args['preferred_time'])[:200]}"
        try:
            body = CallbackCreate(
                phone=phone,
                customer_name=str(args["customer_name"])[:200]
                if args.get("customer_name")
                else None,
                branch_id=self.line.branch.id,
                priority=priority if priority in ("normal", "high", "urgent") else "normal",
                reason=str(args["reason"])[:2000] if args.get("reason") else None,
                notes=notes,
            )
            callback, merged = await self.callbacks.request(body)
        except (ValidationError, DomainError):
            return self._no("needs_phone", {"needs": "phone"})
        data = {
            "callback_id": callback.id,
            "expires_at": callback.expires_at.astimezone(self.line.tz).isoformat(),
            "merged": merged,
        }
        return self._yes("callback", data, by=self._speak(callback.expires_at))

    # --- helpers ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock().astimezone(self.line.tz)

    def _today(self) -> date:
        return self._now().date()

    def _speak(self, moment: datetime) -> str:
        return speak_datetime(moment.astimezone(self.line.tz), self.lang, today=self._today())

    def _understand(self, args: dict[str, Any]) -> Understanding:
        return understand(
            date=_str(args.get("date")),
            time=_str(args.get("time")),
            datetime_text=_str(args.get("datetime")),
            now=self._now(),
        )

    def _phone(self, raw: Any) -> str | None:
        return e164_or_none(str(raw), self.line.region("DE")) if raw else None

    def _alternative(self, slot: Any) -> dict[str, Any]:
        return {
            "start": slot.start.isoformat(),
            "staff_id": slot.staff_id,
            "staff_name": slot.staff_name,
            "spoken": self._speak(slot.start),
        }

    def _yes(self, key: str, data: dict[str, Any], **words: Any) -> Answer:
        return Answer(True, say(self.lang, key, **words), data)

    def _no(self, key: str, data: dict[str, Any], **words: Any) -> Answer:
        return Answer(False, say(self.lang, key, **words), data)

    def _needs(self, understood: Understanding) -> Answer:
        data: dict[str, Any] = {"needs": understood.needs, "reason": understood.reason}
        if understood.day is not None:
            data["understood_date"] = understood.day.isoformat()
        return Answer(False, ask(understood, self.lang), data)  # type: ignore[arg-type]

    def _slot_taken(self, exc: SlotUnavailableError, start: datetime, done_flag: str) -> Answer:
        """A change refused because the time is taken: the nearest alternatives, in the same
        shape check_availability gives them."""
        offered = exc.extensions["alternatives"][:ALTERNATIVES_SPOKEN]
        starts = [datetime.fromisoformat(alt["start"]) for alt in offered]
        data = {
            done_flag: False,
            "requested_start": start.astimezone(self.line.tz).isoformat(),
            "reason": exc.extensions["reason"],
            "alternatives": [
                {
                    "start": moment.astimezone(self.line.tz).isoformat(),
                    "staff_id": alt["staff_id"],
                    "staff_name": alt["staff_name"],
                    "spoken": self._speak(moment),
                }
                for alt, moment in zip(offered, starts, strict=True)
            ],
        }
        return self._taken(self._speak(start), data, starts)

    def _taken(self, spoken: str, data: dict[str, Any], alternatives: list[datetime]) -> Answer:
        if not alternatives:
            data["callback_offered"] = True
            return self._no("taken_nothing", data, when=spoken)
        local = [moment.astimezone(self.line.tz) for moment in alternatives[:ALTERNATIVES_SPOKEN]]
        return self._no(
            "taken",
            data,
            when=spoken,
            alternatives=speak_alternatives(local, self.lang, today=self._today()),
        )

    def _refused(self, exc: PolicyViolationError, appointment: Appointment) -> Answer:
        body = exc.extensions
        code = body.get("reason", {}).get("code", "insufficient_notice")
        data = {
            "appointment_id": appointment.id,
            "reason": code,
            "fee": f"{Decimal(str(body.get('fee') or 0)):.2f}",
            "callback_offered": True,
        }
        return self._no("refused_quota" if code == "quota_exceeded" else "refused_notice", data)

    async def _what_and_when(
        self, args: dict[str, Any]
    ) -> tuple[Service, Staff | None, Understanding] | Answer:
        """The service, the staff member (if one was asked for) and the time understood, or
        the question to ask when any of them is unclear."""
        service = await self._service(args)
        if isinstance(service, Answer):
            return service
        staff = await self._staff(args, service)
        if isinstance(staff, Answer):
            return staff
        understood = self._understand(args)
        if understood.needs is not None:
            return self._needs(understood)
        return service, staff, understood

    async def offered_services(self) -> list[Service]:
        branch = self.line.branch
        stmt = (
            select(Service)
            .where(
                Service.company_id == self.line.company.id,
                Service.is_active.is_(True),
                (Service.branch_id.is_(None)) | (Service.branch_id == branch.id),
            )
            .order_by(Service.id)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def _service(self, args: dict[str, Any]) -> Service | Answer:
        wanted = args.get("service")
        services = await self.offered_services()
        if not wanted:
            return self._no(
                "needs_service",
                {"needs": "service", "candidates": [s.name for s in services[:5]]},
                names=_listing([s.name for s in services[:3]], self.lang, "or"),
            )
        found = _match(str(wanted), services)
        if len(found) == 1:
            return found[0]
        candidates = found or services
        return self._no(
            "which_service" if found else "unknown_service",
            {"needs": "service", "candidates": [s.name for s in candidates[:5]]},
            names=_listing([s.name for s in candidates[:3]], self.lang, "or"),
        )

    async def _staff(self, args: dict[str, Any], service: Service) -> Staff | None | Answer:
        wanted = args.get("staff")
        if not wanted:
            return None
        stmt = (
            select(Staff)
            .join(staff_services, staff_services.c.staff_id == Staff.id)
            .where(
                Staff.company_id == self.line.company.id,
                Staff.branch_id == self.line.branch.id,
                Staff.is_active.is_(True),
                staff_services.c.service_id == service.id,
            )
            .order_by(Staff.id)
        )
        staff = list((await self.session.execute(stmt)).scalars().all())
        found = _match(str(wanted), staff)
        if len(found) == 1:
            return found[0]
        candidates = found or staff
        return self._no(
            "which_staff" if found else "unknown_staff",
            {"needs": "staff", "candidates": [s.name for s in candidates[:5]]},
            names=_listing([s.name for s in candidates[:3]], self.lang, "or"),
        )

    async def opening_hours(self) -> dict[int, list[tuple[Any, Any]]]:
        """Per weekday, the hours anyone at the branch works (merged ranges)."""
        rows = await self.session.execute(
            select(WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time)
            .join(Staff, Staff.id == WorkingHours.staff_id)
            .where(
                Staff.company_id == self.line.company.id,
                Staff.branch_id == self.line.branch.id,
                Staff.is_active.is_(True),
            )
            .order_by(WorkingHours.weekday, WorkingHours.start_time)
        )
        merged: dict[int, list[tuple[Any, Any]]] = {}
        for weekday, start, end in rows:
            ranges = merged.setdefault(weekday, [])
            if ranges and start <= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
            else:
                ranges.append((start, end))
        return merged

    async def _caller_customer(self) -> Customer | None | Answer:
        if self.caller is None:
            return self._no("anonymous", {"needs": "phone", "callback_offered": True})
        return await self.session.scalar(
            select(Customer).where(
                Customer.company_id == self.line.company.id, Customer.phone == self.caller
            )
        )

    async def _chosen_appointment(self, args: dict[str, Any]) -> Appointment | Answer:
        """The caller's own appointment: by id, or by its date (several: the caller chooses)."""
        customer = await self._caller_customer()
        if isinstance(customer, Answer):
            return customer
        upcoming = await self.scheduling.upcoming_for(customer.id, limit=50) if customer else []
        if "appointment_id" in args:
            wanted = str(args["appointment_id"]).strip()
            mine = [a for a in upcoming if str(a.id) == wanted]
            if not mine:
                return self._no("not_found", {"appointments": []})
            return mine[0]
        if "date" in args:
            understood = understand(date=_str(args["date"]), now=self._now())
            if understood.day is None:
                return self._needs(understood)
            tz = self.line.tz
            upcoming = [a for a in upcoming if a.starts_at.astimezone(tz).date() == understood.day]
        if not upcoming:
            return self._no("not_found", {"appointments": []})
        if len(upcoming) > 1:
            listed = [await self._listed(a) for a in upcoming]
            return self._no(
                "which_appointment",
                {"needs": "appointment_id", "appointments": listed},
                count=len(listed),
                listing=_listing([item["spoken"] for item in listed[:2]], self.lang, "or"),
            )
        return upcoming[0]

    async def _listed(self, appointment: Appointment) -> dict[str, Any]:
        service = await self.session.get(Service, appointment.service_id)
        staff = await self.session.get(Staff, appointment.staff_id)
        return {
            "appointment_id": appointment.id,
            "start": appointment.starts_at.astimezone(self.line.tz).isoformat(),
            "service_name": service.name if service else "",
            "staff_name": staff.name if staff else "",
            "spoken": self._speak(appointment.starts_at),
        }

    async def _last_fee(self, appointment_id: int) -> Decimal:
        fee = await self.session.scalar(
            select(AppointmentModification.fee_charged)
            .where(AppointmentModification.appointment_id == appointment_id)
            .order_by(AppointmentModification.id.desc())
            .limit(1)
        )
        return Decimal(fee or 0)


def voice_actor(call_id: str | None) -> Actor:
    """A caller is a customer: policies apply, and nothing can be forced."""
    return Actor(ActorType.CUSTOMER, f"call:{call_id}" if call_id else "voice")


def _str(value: Any) -> str | None:
    return str(value) if value is not None and str(value).strip() else None


_WORD = re.compile(r"[\w']+")


def _match(wanted: str, candidates: list[Any]) -> list[Any]:
    """By id, exact name, unique prefix, or a contained word (case-insensitive)."""
    text = wanted.strip().lower()
    if text.isdigit():
        return [c for c in candidates if str(c.id) == text]
    for rule in (
        lambda name: name == text,
        lambda name: name.startswith(text),
        lambda name: (
            text in _WORD.findall(name) or any(w.startswith(text) for w in _WORD.findall(name))
        ),
        lambda name: text in name,
    ):
        found = [c for c in candidates if rule(c.name.lower())]
        if found:
            return found
    return []


def _listing(items: list[str], lang: str, joiner: str = "and") -> str:
    if not items:
        return ""
    word = {"and": {"de": "und", "en": "and"}, "or": {"de": "oder", "en": "or"}}[joiner][lang]
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _money(amount: Decimal, lang: str) -> str:
    text = f"{amount:.2f}".removesuffix(".00")
    return text.replace(".", ",") if lang == "de" else text
