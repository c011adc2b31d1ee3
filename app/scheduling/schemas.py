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

START_DESCRIPTION = "ISO 8601. Without an offset it is read in the branch's (or company's) zone."


class AvailabilityCheck(Schema):
    branch_id: Id
    service_id: Id
    staff_id: Id | None = Field(None, description="Ask for one staff member; else any qualified.")
    start: StartDatetime = Field(description=START_DESCRIPTION, examples=["2026-12-01T14:00:00"])
    max_alternatives: int = Field(2, ge=0, le=10)

    model_config = {
        "json_schema_extra": {
            "examples": [{"branch_id": 1, "service_id": 2, "start": "2026-12-01T14:00:00"}]
        }
    }


class SlotRead(ReadSchema):
    start: datetime
    end: datetime
    staff_id: int
    staff_name: str


class AlternativeRead(SlotRead):
    reason: Literal["same_day_earlier", "same_day_later", "other_day"] = Field(
        description="Where the alternative lies relative to the requested start."
    )
    same_staff: bool = Field(description="True when it is with the staff member asked for.")


class AvailabilityCheckResult(ReadSchema):
    available: bool
    requested_start: datetime
    slot: SlotRead | None = Field(None, description="The requested slot when it is free.")
    reason: str | None = Field(
        None,
        description="Why the time is not available: in_the_past, too_short_notice, off_grid, "
        "outside_working_hours, taken, no_qualified_staff.",
    )
    alternatives: list[AlternativeRead] = []
    source: Literal["local", "calcom"] = "local"


class AvailabilityQuery(Schema):
    branch_id: Id
    service_id: Id
    staff_id: Id | None = None
    date_from: Day
    date_to: Day | None = Field(None, description="Inclusive; defaults to date_from; 31 days max.")

    @model_validator(mode="after")
    def _check_range(self) -> AvailabilityQuery:
        end = self.date_to or self.date_from
        if end < self.date_from:
            raise ValueError("date_to must not be before date_from")
        if (end - self.date_from).days > 30:
            raise ValueError("the range may span at most 31 days")
        return self


class DaySlots(ReadSchema):
    date: date
    slots: list[SlotRead]


class AvailabilityList(ReadSchema):
    days: list[DaySlots]
    source: Literal["local", "calcom"] = "local"


class InlineCustomer(Schema):
    name: Name = Field(examples=["Erika Musterfrau"])
    phone: Line = Field(min_length=3, max_length=32, examples=["0151 23456789"])
    email: EmailStr | None = Field(None, max_length=254)


class AppointmentCreate(Schema):
    branch_id: Id
    service_id: Id
    staff_id: Id | None = Field(None, description="Left out: the first free qualified member.")
    start: StartDatetime = Field(description=START_DESCRIPTION, examples=["2026-12-01T14:00:00"])
    customer_id: Id | None = None
    customer: InlineCustomer | None = Field(
        None, description="New or returning customer by phone, when no customer_id is given."
    )
    notes: Text | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _one_customer(self) -> AppointmentCreate:
        if (self.customer_id is None) == (self.customer is None):
            raise ValueError("give exactly one of customer_id or customer")
        return self


class AppointmentUpdate(Schema):
    service_id: Id | None = Field(None, description="Changing it rebuilds the phases.")
    notes: Text | None = Field(None, max_length=2000)
    status: Literal["confirmed", "completed", "no_show"] | None = None


FORCE_DESCRIPTION = (
    "Staff override of a policy refusal (short notice, quota); recorded as outside policy, "
    "with the fee that applies."
)


class AppointmentReschedule(Schema):
    start: StartDatetime = Field(description=START_DESCRIPTION)
    staff_id: Id | None = Field(None, description="Move to another staff member too.")
    reason: Text | None = Field(None, max_length=2000)
    force: bool = Field(False, description=FORCE_DESCRIPTION)


class AppointmentCancel(Schema):
    reason: Text | None = Field(None, max_length=2000)
    force: bool = Field(False, description=FORCE_DESCRIPTION)


class PhaseRead(ReadSchema):
    phase_type: str
    sequence_order: int
    start_offset_minutes: int
    duration_minutes: int
    staff_required: bool
    starts_at: datetime
    ends_at: datetime


class AppointmentRead(ReadSchema):
    id: int
    branch_id: int
    service_id: int
    staff_id: int
    customer_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    source: str
    calcom_booking_uid: str | None
    notes: str | None
    version: int
    phases: list[PhaseRead] = Field(description="Empty unless the service has processing time.")
    created_at: datetime
    updated_at: datetime


class AppointmentFilters(Pagination):
    date_from: AwareDatetime | None = Field(None, description="Appointments starting at or after.")
    date_to: AwareDatetime | None = Field(None, description="Appointments starting before.")
    staff_id: Id | None = None
    customer_id: Id | None = None
    branch_id: Id | None = None
    status: Literal["pending", "confirmed", "cancelled", "completed", "no_show"] | None = None


class OrphanRead(ReadSchema):
    appointment_id: int
    service_id: int
    starts_at: datetime


class ProcessingTimeHealthRead(ReadSchema):
    day: date | None
    healthy: bool = Field(description="False when a split appointment of today lacks phases.")
    split_appointments: int = Field(description="Today's appointments of split services.")
    with_phases: int
    success_rate: float = Field(description="with_phases / split_appointments (1.0 when none).")
    orphans: list[OrphanRead] = Field(description="Split appointments without phases.")
    fixed: int = 0
