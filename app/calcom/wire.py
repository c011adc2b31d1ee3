"""Pydantic models of the Cal.com v2 payloads this service reads; they stay in this package."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SlotItem(Wire):
    start: datetime


class SlotsResponse(Wire):
    status: str
    data: dict[str, list[SlotItem]] = Field(default_factory=dict)


class Booking(Wire):
    id: int | None = None
    uid: str
    status: str | None = None
    start: datetime
    end: datetime | None = None
    event_type_id: int | None = Field(None, alias="eventTypeId")
    rescheduled_from_uid: str | None = Field(None, alias="rescheduledFromUid")


class BookingResponse(Wire):
    status: str
    data: Booking


class ErrorBody(Wire):
    code: str | None = None
    message: str | None = None


class ErrorResponse(Wire):
    status: str | None = None
    error: ErrorBody | None = None


class Person(Wire):
    id: int | None = None
    name: str | None = None
    email: str | None = None
    time_zone: str | None = Field(None, alias="timeZone")
    phone_number: str | None = Field(None, alias="phoneNumber")


class WebhookBooking(Wire):
    """The booking fields of a webhook `payload` (DESIGN §5.7, reference §4)."""

    uid: str | None = None
    booking_id: int | None = Field(None, alias="bookingId")
    event_type_id: int | None = Field(None, alias="eventTypeId")
    title: str | None = None
    start_time: datetime | None = Field(None, alias="startTime")
    end_time: datetime | None = Field(None, alias="endTime")
    organizer: Person | None = None
    attendees: list[Person] = Field(default_factory=list)
    reschedule_uid: str | None = Field(None, alias="rescheduleUid")
    cancellation_reason: str | None = Field(None, alias="cancellationReason")
    team_id: int | None = Field(None, alias="teamId")
    team: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class WebhookEnvelope(Wire):
    trigger_event: str = Field(alias="triggerEvent")
    created_at: str | None = Field(None, alias="createdAt")
    payload: dict[str, Any] = Field(default_factory=dict)
