"""Request and response models of availability and appointments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import EmailStr, Field, model_validator

from app.schemas import (
    AwareDatetime,
    Day,
    Id,
    Line,
    Name,
    Pagination,
    ReadSchema,
    Schema,
    StartDatetime,
    Text,
)
from app.tenancy.schemas import PATCH_DESCRIPTION, patch_field

START_DESCRIPTION = "ISO 8601. Without an offset it is read in the branch's (or company's) zone."
# Slots are computed in the branch's zone (the company's when the branch has none).
SLOT_TIME = "ISO 8601 with the branch's UTC offset (the company's when the branch has no zone)."
# Appointments are presented in their branch's zone.
APPOINTMENT_TIME = (
    "ISO 8601 with the UTC offset of the appointment's branch zone (the company's when the "
    "branch has none)."
)
FILTER_ZONE = "without an offset in the zone of `branch_id` when given, else the company's"
NOTES = "Free text for the salon; line breaks allowed."
BRANCH = "The branch the appointment is at."
SERVICE = "The service booked."
MAX_ALTERNATIVES = "How many alternatives to propose when the time is not free (0-10, default 2)."
SOURCE = (
    "Whose calendar answered: `local` (this service's own) or `calcom` (Cal.com, for a service "
    "linked to an event type); `local` also when Cal.com could not be reached."
)


class AvailabilityCheck(Schema):
    """Is this start free? With alternatives when it is not."""

    branch_id: Id = Field(description="The branch to book at.", examples=[1])
    service_id: Id = Field(description="The service to book.", examples=[2])
    staff_id: Id | None = Field(
        None, description="Ask for one staff member; else any qualified.", examples=[1]
    )
    start: StartDatetime = Field(description=START_DESCRIPTION, examples=["2026-12-01T14:00:00"])
    max_alternatives: int = Field(2, ge=0, le=10, description=MAX_ALTERNATIVES)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"branch_id": 1, "service_id": 2, "start": "2026-12-01T14:00:00"},
                {
                    "branch_id": 1,
                    "service_id": 3,
                    "staff_id": 1,
                    "start": "2026-12-01T14:00:00+01:00",
                    "max_alternatives": 3,
                },
            ]
        }
    }


class SlotRead(ReadSchema):
    start: datetime = Field(
        description="Start of the slot: " + SLOT_TIME, examples=["2026-12-01T14:00:00+01:00"]
    )
    end: datetime = Field(
        description="End of the slot (start + the service's duration): " + SLOT_TIME,
        examples=["2026-12-01T14:45:00+01:00"],
    )
    staff_id: int = Field(description="The staff member free at this time.", examples=[1])
    staff_name: str = Field(description="Their name.", examples=["Anna Schmidt"])


class AlternativeRead(SlotRead):
    reason: Literal["same_day_earlier", "same_day_later", "other_day"] = Field(
        description="Where the alternative lies relative to the requested start."
    )
    same_staff: bool = Field(description="True when it is with the staff member asked for.")


class AvailabilityCheckResult(ReadSchema):
    available: bool = Field(description="True when the requested start can be booked.")
    requested_start: datetime = Field(
        description="The start asked for: " + SLOT_TIME, examples=["2026-12-01T14:00:00+01:00"]
    )
    slot: SlotRead | None = Field(None, description="The requested slot when it is free.")
    reason: str | None = Field(
        None,
        description="Why the time is not available: in_the_past, too_short_notice, off_grid, "
        "outside_working_hours, taken, no_qualified_staff.",
    )
    alternatives: list[AlternativeRead] = Field(
        [],
        description="When not available: the nearest free starts, the requested staff "
        "member's first (at most `max_alternatives`, within 14 days).",
    )
    source: Literal["local", "calcom"] = Field("local", description=SOURCE)


class AvailabilityQuery(Schema):
    branch_id: Id = Field(description="The branch to book at.", examples=[1])
    service_id: Id = Field(description="The service to book.", examples=[2])
    staff_id: Id | None = Field(
        None, description="Only this staff member's free times; else every qualified one's."
    )
    date_from: Day = Field(
        description="First local day (YYYY-MM-DD) in the branch's time zone.",
        examples=["2026-12-01"],
    )
    date_to: Day | None = Field(None, description="Inclusive; defaults to date_from; 31 days max.")

    @model_validator(mode="after")
    def _check_range(self) -> AvailabilityQuery:
        end = self.date_to or self.date_from
        if end < self.date_from:
            raise ValueError("date_to must not be before date_from")
        if (end - self.date_from).days > 30:
            raise ValueError("the range may span at most 31 days")
        return self


# `DaySlots.date` would shadow the type inside its class.
LocalDate = date


class DaySlots(ReadSchema):
    date: LocalDate = Field(description="The local day (YYYY-MM-DD).", examples=["2026-12-01"])
    slots: list[SlotRead] = Field(
        description="Free starts of the day on the company's booking grid, by time then staff."
    )


class AvailabilityList(ReadSchema):
    days: list[DaySlots] = Field(description="Every day of the range, in order, even when full.")
    source: Literal["local", "calcom"] = Field("local", description=SOURCE)


class InlineCustomer(Schema):
    """The customer by name and phone: a returning customer is found by phone, else created."""

    name: Name = Field(description="The customer's name.", examples=["Erika Musterfrau"])
    phone: Line = Field(
        min_length=3,
        max_length=32,
        description="Stored in E.164; national numbers are read in the company's region.",
        examples=["0151 23456789"],
    )
    email: EmailStr | None = Field(
        None, max_length=254, description="Their email address, when a new customer is created."
    )


class AppointmentCreate(Schema):
    """A booking: the start is checked against working hours, other appointments, time off,
    the booking grid and the minimum notice."""

    branch_id: Id = Field(description="The branch to book at.", examples=[1])
    service_id: Id = Field(description="The service to book.", examples=[2])
    staff_id: Id | None = Field(None, description="Left out: the first free qualified member.")
    start: StartDatetime = Field(description=START_DESCRIPTION, examples=["2026-12-01T14:00:00"])
    customer_id: Id | None = Field(
        None, description="An existing customer; give this or `customer`.", examples=[1]
    )
    customer: InlineCustomer | None = Field(
        None, description="New or returning customer by phone, when no customer_id is given."
    )
    notes: Text | None = Field(None, max_length=2000, description=NOTES)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "branch_id": 1,
                    "service_id": 2,
                    "staff_id": 1,
                    "start": "2026-12-01T14:00:00+01:00",
                    "customer": {"name": "Erika Musterfrau", "phone": "0176 12345670"},
                    "notes": "First visit.",
                },
                {"branch_id": 1, "service_id": 1, "start": "2026-12-02T10:30:00", "customer_id": 1},
            ]
        }
    }

    @model_validator(mode="after")
    def _one_customer(self) -> AppointmentCreate:
        if (self.customer_id is None) == (self.customer is None):
            raise ValueError("give exactly one of customer_id or customer")
        return self


class AppointmentUpdate(Schema):
    __doc__ = PATCH_DESCRIPTION

    service_id: Id = patch_field(
        "Another service at the same time and with the same staff member: re-checked against "
        "their calendar, and the phases are rebuilt."
    )
    notes: Text | None = Field(None, max_length=2000, description=NOTES + " Null clears them.")
    status: Literal["confirmed", "completed", "no_show"] = patch_field(
        "`completed` or `no_show` after the visit, `confirmed` to confirm a pending one. Only "
        "a pending or confirmed appointment can change its status (409 otherwise); to cancel, "
        "use POST .../cancel."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"notes": "Wants a shorter fringe."}, {"status": "completed"}]
        }
    }


FORCE_DESCRIPTION = (
    "Staff override of a policy refusal (short notice, quota); recorded as outside policy, "
    "with the fee that applies."
)


class AppointmentReschedule(Schema):
    """A new start (and optionally staff member) for a pending or confirmed appointment."""

    start: StartDatetime = Field(
        description=START_DESCRIPTION, examples=["2026-12-02T10:00:00+01:00"]
    )
    staff_id: Id | None = Field(None, description="Move to another staff member too.")
    reason: Text | None = Field(
        None, max_length=2000, description="Why, recorded in the appointment's modifications."
    )
    force: bool = Field(False, description=FORCE_DESCRIPTION)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "start": "2026-12-02T10:00:00+01:00",
                    "reason": "Customer asked for the morning.",
                },
                {"start": "2026-12-02T15:00:00", "staff_id": 2, "force": True},
            ]
        }
    }


class AppointmentCancel(Schema):
    """Optional: cancelling needs no body."""

    reason: Text | None = Field(
        None,
        max_length=2000,
        description="Why; added to the appointment's notes and recorded in its modifications.",
    )
    force: bool = Field(False, description=FORCE_DESCRIPTION)

    model_config = {
        "json_schema_extra": {"examples": [{"reason": "Customer is ill."}, {"force": True}]}
    }


class PhaseRead(ReadSchema):
    phase_type: str = Field(
        description="`initial` and `final` (staff busy) or `processing` (staff free).",
        examples=["processing"],
    )
    sequence_order: int = Field(description="1, 2, 3 in time order.", examples=[2])
    start_offset_minutes: int = Field(
        description="Minutes after the appointment's start.", examples=[30]
    )
    duration_minutes: int = Field(description="Length of the phase in minutes.", examples=[30])
    staff_required: bool = Field(
        description="Whether the staff member is busy; false in the processing phase."
    )
    starts_at: datetime = Field(description="Start of the phase: " + APPOINTMENT_TIME)
    ends_at: datetime = Field(description="End of the phase: " + APPOINTMENT_TIME)


class AppointmentRead(ReadSchema):
    id: int = Field(description="The appointment's id.", examples=[42])
    branch_id: int = Field(description=BRANCH, examples=[1])
    service_id: int = Field(description=SERVICE, examples=[2])
    staff_id: int = Field(description="The staff member serving the customer.", examples=[1])
    customer_id: int = Field(description="The customer.", examples=[1])
    starts_at: datetime = Field(
        description="Start: " + APPOINTMENT_TIME, examples=["2026-12-01T14:00:00+01:00"]
    )
    ends_at: datetime = Field(
        description="End (start + the service's duration): " + APPOINTMENT_TIME,
        examples=["2026-12-01T14:45:00+01:00"],
    )
    status: str = Field(
        description="`pending` (held while Cal.com confirms the booking), `confirmed`, "
        "`cancelled`, `completed` or `no_show`.",
        examples=["confirmed"],
    )
    source: str = Field(
        description="Where the booking came from: `api`, `voice` (the phone assistant) or "
        "`calcom` (booked in Cal.com, received by webhook).",
        examples=["api"],
    )
    calcom_booking_uid: str | None = Field(
        description="The booking's uid in Cal.com; null when it is not mirrored there."
    )
    notes: str | None = Field(description=NOTES + " Null when none.")
    version: int = Field(
        description="Optimistic-lock counter: starts at 1 and is incremented on each change.",
        examples=[1],
    )
    phases: list[PhaseRead] = Field(description="Empty unless the service has processing time.")
    created_at: datetime = Field(description="When it was booked: ISO 8601 in UTC.")
    updated_at: datetime = Field(description="When it last changed: ISO 8601 in UTC.")


class AppointmentFilters(Pagination):
    date_from: AwareDatetime | None = Field(
        None,
        description=f"Appointments starting at or after (ISO 8601; {FILTER_ZONE}).",
        examples=["2026-12-01T00:00:00+01:00"],
    )
    date_to: AwareDatetime | None = Field(
        None,
        description=f"Appointments starting before (ISO 8601; {FILTER_ZONE}).",
        examples=["2026-12-08T00:00:00+01:00"],
    )
    staff_id: Id | None = Field(None, description="Only this staff member's appointments.")
    customer_id: Id | None = Field(None, description="Only this customer's appointments.")
    branch_id: Id | None = Field(None, description="Only appointments at this branch.")
    status: Literal["pending", "confirmed", "cancelled", "completed", "no_show"] | None = Field(
        None, description="Only appointments with this status."
    )


class OrphanRead(ReadSchema):
    appointment_id: int = Field(description="The appointment without phases.", examples=[42])
    service_id: int = Field(description="Its split service.", examples=[3])
    starts_at: datetime = Field(description="Its start: ISO 8601 in UTC.")


class ProcessingTimeHealthRead(ReadSchema):
    day: date | None = Field(
        description="Today in the company's zone; each branch's appointments are counted over "
        "its own local day. Null only for a report summed over all companies."
    )
    healthy: bool = Field(description="False when a split appointment of today lacks phases.")
    split_appointments: int = Field(description="Today's appointments of split services.")
    with_phases: int = Field(description="How many of them have their phase rows.")
    success_rate: float = Field(description="with_phases / split_appointments (1.0 when none).")
    orphans: list[OrphanRead] = Field(description="Split appointments without phases.")
    fixed: int = Field(0, description="Orphans whose phases were rebuilt by this call (`fix`).")
