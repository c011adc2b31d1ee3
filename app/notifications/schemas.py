"""Request and response models of notification settings and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from app.schemas import Id, Pagination, ReadSchema, Schema, Text

Channel = Literal["email", "sms", "whatsapp", "push"]
Level = Literal["company", "branch", "service", "staff"]
DeliveryStatusName = Literal["pending", "sending", "sent", "failed", "cancelled", "skipped"]


class NotificationConfigWrite(Schema):
    """A level's settings of one event. Keys left out are inherited from the level above
    (down to the event's defaults)."""

    channel: Channel = Field(description="The channel the message goes out on first.")
    fallback_channel: Channel | None = Field(
        None,
        description="Tried once when the channel fails after its retries, or the recipient "
        "has no address for it; null: no fallback.",
    )
    is_enabled: bool = Field(True, description="False: this event sends nothing at this level.")
    retry_count: int = Field(
        3, ge=0, le=10, description="Retries after a failed attempt before falling back."
    )
    retry_delay_minutes: int = Field(
        5, ge=1, le=24 * 60, description="First retry delay; it doubles with every retry."
    )
    template_override: Text | None = Field(
        None,
        max_length=2000,
        description="The message body as a Jinja2 template (sandboxed). Variables: "
        "customer_name, service_name, staff_name, branch_name, company_name, start (spoken "
        "local time), fee, callback_phone. Checked with sample data when stored.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "channel": "sms",
                    "fallback_channel": "email",
                    "retry_count": 2,
                    "template_override": "Hi {{ customer_name }}, see you {{ start }}!",
                }
            ]
        }
    }


class NotificationConfigRead(ReadSchema):
    id: int = Field(description="Id of the stored settings.")
    level: Level = Field(validation_alias="configurable_type", description="The level set on.")
    entity_id: int = Field(
        validation_alias="configurable_id", description="The company, branch, service or staff."
    )
    event_type: str = Field(description="The event, e.g. booking_confirmed.")
    channel: Channel = Field(description="The channel the message goes out on first.")
    fallback_channel: Channel | None = Field(description="The fallback channel, if any.")
    is_enabled: bool = Field(description="Whether the event sends anything at this level.")
    retry_count: int = Field(description="Retries before falling back.")
    retry_delay_minutes: int = Field(description="First retry delay in minutes (doubling).")
    template_override: str | None = Field(description="The level's own message template.")
    created_at: datetime = Field(description="When the settings were first stored (UTC).")
    updated_at: datetime = Field(description="When they last changed (UTC).")


class EffectiveQuery(Schema):
    event_type: str = Field(max_length=64, description="The event, e.g. booking_confirmed.")
    branch_id: Id | None = Field(None, description="The branch the message concerns.")
    service_id: Id | None = Field(None, description="The service the message concerns.")
    staff_id: Id | None = Field(None, description="The staff member the message concerns.")


class EffectiveRead(ReadSchema):
    event_type: str = Field(description="The event resolved.")
    config: dict[str, Any] = Field(
        description="channel, fallback_channel, is_enabled, retry_count, retry_delay_minutes "
        "and template_override after resolution."
    )
    sources: dict[str, dict[str, Any]] = Field(
        description="For each key: the level, entity and settings id that set it, or "
        '`{"level": "default"}` for the event\'s own default.'
    )


class EventRead(ReadSchema):
    event_type: str = Field(description="The event's name, used in the settings paths.")
    label: str = Field(description="A short label for people.")
    category: str = Field(description="booking, reminder, modification, callback, ...")
    default_channels: list[str] = Field(description="Channel, then fallback, by default.")
    description: str | None = Field(description="When the event happens.")
    is_used: bool = Field(description="False for events nothing sends yet (payment_received).")


class DeliveryFilters(Pagination):
    appointment_id: Id | None = Field(None, description="Only messages about this appointment.")
    callback_id: Id | None = Field(None, description="Only messages about this callback.")
    event_type: str | None = Field(None, max_length=64, description="Only this event.")
    status: DeliveryStatusName | None = Field(None, description="Only this status.")


class DeliveryRead(ReadSchema):
    id: int = Field(description="Id of the delivery.")
    event_type: str = Field(description="The event the message belongs to.")
    channel: Channel = Field(description="The channel it goes out on.")
    recipient: str | None = Field(
        description="The address used (e-mail or E.164 phone), once the dispatcher has read it."
    )
    status: DeliveryStatusName = Field(
        description="pending (due at next_attempt_at), sending, sent, failed (see last_error), "
        "cancelled (e.g. a reminder of a cancelled appointment), skipped (no address)."
    )
    attempts: int = Field(description="Attempts made so far.")
    next_attempt_at: datetime | None = Field(description="When it is (next) due (UTC).")
    sent_at: datetime | None = Field(description="When it was sent (UTC).")
    last_error: str | None = Field(description="Why the last attempt failed or was skipped.")
    fallback_of: int | None = Field(description="The delivery this one stands in for.")
    appointment_id: int | None = Field(description="The appointment it is about.")
    callback_id: int | None = Field(
        validation_alias="callback_request_id", description="The callback it is about."
    )
    created_at: datetime = Field(description="When it was written (UTC).")
