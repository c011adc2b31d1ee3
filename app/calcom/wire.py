"""Pydantic models of the Cal.com v2 payloads this service reads; they stay in this package."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.schemas import EARLIEST_DATE, LATEST_DATE, ExternalId


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SlotItem(Wire):
    start: datetime


class SlotsResponse(Wire):
    status: str
    data: dict[str, list[SlotItem]] = Field(default_factory=dict)


class Person(Wire):
    id: ExternalId | None = None
    name: str | None = Field(None, max_length=500)
    email: str | None = Field(None, max_length=254)
    time_zone: str | None = Field(None, alias="timeZone", max_length=64)
    phone_number: str | None = Field(None, alias="phoneNumber", max_length=64)


class Booking(Wire):
    id: int | None = None
    uid: str
    status: str | None = None
    start: datetime
    end: datetime | None = None
    event_type_id: int | None = Field(None, alias="eventTypeId")
    rescheduled_from_uid: str | None = Field(None, alias="rescheduledFromUid")
    rescheduled_to_uid: str | None = Field(None, alias="rescheduledToUid")
    cancellation_reason: str | None = Field(None, alias="cancellationReason")
    title: str | None = None
    hosts: list[Person] = Field(default_factory=list)
    attendees: list[Person] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None
    created_at: datetime | None = Field(None, alias="createdAt")
    updated_at: datetime | None = Field(None, alias="updatedAt")


class BookingResponse(Wire):
    status: str
    data: Booking


class Pagination(Wire):
    has_next_page: bool = Field(False, alias="hasNextPage")
    total_items: int | None = Field(None, alias="totalItems")


class BookingsPage(Wire):
    status: str
    data: list[Booking] = Field(default_factory=list)
    pagination: Pagination = Field(default_factory=Pagination)


class ErrorBody(Wire):
    code: str | None = None
    message: str | None = None


class ErrorResponse(Wire):
    status: str | None = None
    error: ErrorBody | None = None


class Team(Wire):
    id: ExternalId | None = None


def _aware_and_in_range(value: datetime | None) -> datetime | None:
    """Cal.com sends UTC instants; one without an offset cannot be placed, and one outside
    the calendar's range is not a booking."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("must carry a UTC offset (e.g. 2026-12-01T13:00:00Z)")
    if not EARLIEST_DATE <= value.astimezone(UTC).date() <= LATEST_DATE:
        raise ValueError(f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


BookingTime = Annotated[datetime | None, AfterValidator(_aware_and_in_range)]


class WebhookBooking(Wire):
    """The booking fields of a webhook `payload` (DESIGN §5.7, reference §4)."""

    uid: str | None = Field(None, max_length=128)
    booking_id: ExternalId | None = Field(None, alias="bookingId")
    event_type_id: ExternalId | None = Field(None, alias="eventTypeId")
    title: str | None = Field(None, max_length=2000)
    start_time: BookingTime = Field(None, alias="startTime")
    end_time: BookingTime = Field(None, alias="endTime")
    organizer: Person | None = None
    attendees: list[Person] = Field(default_factory=list, max_length=100)
    reschedule_uid: str | None = Field(None, alias="rescheduleUid", max_length=128)
    cancellation_reason: str | None = Field(None, alias="cancellationReason", max_length=2000)
    team_id: ExternalId | None = Field(None, alias="teamId")
    team: Team | None = None
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> WebhookBooking:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValueError("endTime must be after startTime")
        return self

    @property
    def team_ref(self) -> int | None:
        return self.team_id or (self.team.id if self.team else None)


class WebhookEnvelope(Wire):
    trigger_event: str = Field(alias="triggerEvent", max_length=64)
    created_at: str | None = Field(None, alias="createdAt", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)
