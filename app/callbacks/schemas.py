"""Request and response models of callback requests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from app.schemas import AwareDatetime, Id, Line, Name, Pagination, ReadSchema, Schema, Text

Priority = Literal["normal", "high", "urgent"]
Status = Literal["pending", "assigned", "contacted", "completed", "expired", "cancelled"]

UTC_TIME = "ISO 8601 in UTC."
WINDOW_TIME = (
    "ISO 8601; without an offset it is read in the branch's time zone (the company's when the "
    "branch has none)."
)
PRIORITY = (
    "`normal`, `high` or `urgent`: sets the deadline (`expires_at`), by default 24 h, 4 h and "
    "1 h after the request (the company's `settings.callback_sla_minutes` can change them)."
)
STATUS = (
    "`pending` (nobody assigned), `assigned`, `contacted` (tried at least once, still open), "
    "`completed`, `cancelled` or `expired`; the last three are final."
)
NOTES = "Free text for the salon; line breaks allowed."


class TimeWindow(Schema):
    """When the caller would like to be called back."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    from_: AwareDatetime = Field(
        alias="from",
        description="Earliest moment: " + WINDOW_TIME,
        examples=["2026-12-01T14:00:00"],
    )
    to: AwareDatetime = Field(
        description="Latest moment, after `from`: " + WINDOW_TIME,
        examples=["2026-12-01T17:00:00"],
    )


class CallbackCreate(Schema):
    """A caller to be called back. A request for the same phone within 30 minutes of an open
    (pending or assigned) one is merged into it instead."""

    phone: Line = Field(
        min_length=3,
        max_length=32,
        description="Who to call: stored in E.164; national numbers are read in the company's "
        "region. Also what merges a repeated request into the open one.",
        examples=["0151 23456789"],
    )
    customer_name: Name | None = Field(
        None, description="The caller's name; left out, the customer's when known."
    )
    customer_id: Id | None = Field(
        None,
        description="An existing customer; left out, the customer with this phone when there "
        "is one.",
    )
    branch_id: Id | None = Field(
        None,
        description="The branch that should call back; left out, the preferred staff "
        "member's, else the company's first active branch.",
    )
    service_id: Id | None = Field(None, description="The service the caller is interested in.")
    staff_id: Id | None = Field(None, description="The staff member the caller prefers.")
    priority: Priority = Field("normal", description=PRIORITY)
    preferred_time_window: TimeWindow | None = Field(
        None, description="When the caller would like to be called."
    )
    reason: Text | None = Field(
        None,
        max_length=2000,
        description="Why they want a call; kept in `notes` (a merged request adds it there).",
    )
    notes: Text | None = Field(None, max_length=2000, description=NOTES)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "phone": "0151 23456789",
                    "customer_name": "Erika Musterfrau",
                    "branch_id": 1,
                    "service_id": 2,
                    "priority": "high",
                    "preferred_time_window": {
                        "from": "2026-12-01T14:00:00",
                        "to": "2026-12-01T17:00:00",
                    },
                    "reason": "Wants a colour appointment this week; nothing was free.",
                },
                {"phone": "+4915123456789"},
            ]
        }
    }


class CallbackAssign(Schema):
    """Who calls back."""

    staff_id: Id = Field(description="An active staff member of the company.", examples=[1])

    model_config = {"json_schema_extra": {"examples": [{"staff_id": 1}]}}


class CallbackContacted(Schema):
    """Optional: recording an attempt needs no body."""

    notes: Text | None = Field(
        None, max_length=2000, description="What happened; added to the request's notes."
    )

    model_config = {
        "json_schema_extra": {"examples": [{"notes": "No answer; left a voicemail."}, {}]}
    }


class CallbackComplete(Schema):
    """Optional: completing needs no body."""

    notes: Text | None = Field(
        None, max_length=2000, description="The outcome; added to the request's notes."
    )

    model_config = {
        "json_schema_extra": {"examples": [{"notes": "Booked for Thursday 10:00."}, {}]}
    }


class CallbackCancel(Schema):
    """Optional: cancelling needs no body."""

    reason: Text | None = Field(
        None, max_length=2000, description="Why; added to the request's notes."
    )

    model_config = {"json_schema_extra": {"examples": [{"reason": "Caller booked online."}, {}]}}


class CallbackEscalate(Schema):
    """Optional: escalating needs no body."""

    reason: Text | None = Field(
        None, max_length=2000, description="Why; added to the request's notes."
    )
    to_staff_id: Id | None = Field(
        None,
        description="Hand the request to this active staff member (it becomes `assigned` to "
        "them); left out, the assignment stays as it is.",
        examples=[2],
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "Caller is upset; manager should call.", "to_staff_id": 2}, {}]
        }
    }


class CallbackFilters(Pagination):
    status: Status | None = Field(None, description="Only requests with this status.")
    priority: Priority | None = Field(None, description="Only requests with this priority.")
    overdue: bool | None = Field(
        None,
        description="`true`: only open requests (pending, assigned, contacted) past their "
        "deadline; `false`: only the others.",
    )
    assigned_to: Id | None = Field(None, description="Only requests assigned to this staff member.")
    branch_id: Id | None = Field(None, description="Only requests of this branch.")


class TimeWindowRead(ReadSchema):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    from_: datetime = Field(alias="from", description="Earliest moment: " + UTC_TIME)
    to: datetime = Field(description="Latest moment: " + UTC_TIME)


class EscalationRead(ReadSchema):
    id: int = Field(description="The escalation's id.", examples=[7])
    escalation_reason: str = Field(
        description="`sla_breach` (the deadline passed), `multiple_attempts_failed` (it passed "
        "after 3 or more attempts) or `manual_escalation`.",
        examples=["sla_breach"],
    )
    escalated_from: int | None = Field(
        description="The staff member it was assigned to; null when nobody was."
    )
    escalated_to: int | None = Field(
        description="The staff member it went to; null when nobody could take it."
    )
    escalated_at: datetime = Field(description="When: " + UTC_TIME)
    resolved_at: datetime | None = Field(
        description="When the request was completed or cancelled afterwards; null while open."
    )
    resolution_notes: str | None = Field(description="How it ended: `completed` or `cancelled`.")


class CallbackRead(ReadSchema):
    id: int = Field(description="The callback request's id.", examples=[12])
    status: str = Field(description=STATUS, examples=["pending"])
    priority: str = Field(description=PRIORITY, examples=["normal"])
    phone: str = Field(description="Who to call, in E.164.", examples=["+4915123456789"])
    customer_name: str | None = Field(description="The caller's name, when given or known.")
    customer_id: int | None = Field(description="The customer, when known.")
    branch_id: int = Field(description="The branch that calls back.", examples=[1])
    service_id: int | None = Field(description="The service the caller is interested in.")
    staff_id: int | None = Field(description="The staff member the caller prefers.")
    assigned_to: int | None = Field(description="The staff member who calls back.")
    assigned_at: datetime | None = Field(description="When it was last assigned: " + UTC_TIME)
    contacted_at: datetime | None = Field(description="The last contact attempt: " + UTC_TIME)
    completed_at: datetime | None = Field(description="When it was completed: " + UTC_TIME)
    attempts: int = Field(description="Contact attempts recorded (`contacted`).", examples=[0])
    preferred_time_window: TimeWindowRead | None = Field(
        description="When the caller would like to be called."
    )
    notes: str | None = Field(description="Reasons and notes, oldest first, one per line.")
    expires_at: datetime = Field(
        description="The deadline: created_at + the SLA of its priority. " + UTC_TIME
    )
    overdue: bool = Field(description="Open and past its deadline.")
    merged: bool = Field(
        description="True when this answer is an earlier open request the new one was merged into."
    )
    escalations: list[EscalationRead] = Field(description="Its escalations, oldest first.")
    created_at: datetime = Field(description="When it was requested: " + UTC_TIME)
    updated_at: datetime = Field(description="When it last changed: " + UTC_TIME)
