"""Notification events, their per-level channel configuration and the delivery outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    PUSH = "push"


class NotificationEventMapping(IdMixin, TimestampMixin, Base):
    """Global catalogue of notification events (seeded by migration)."""

    __tablename__ = "notification_event_mappings"

    event_type: Mapped[str] = mapped_column(String(64), unique=True)
    event_label: Mapped[str] = mapped_column(String(200))
    event_category: Mapped[str] = mapped_column(String(32))
    default_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    is_system_event: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class NotificationConfiguration(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "notification_configurations"
    __table_args__ = (
        UniqueConstraint(
            "company_id",
            "configurable_type",
            "configurable_id",
            "event_type",
            "channel",
            name="uq_notification_configurations_target",
        ),
    )

    configurable_type: Mapped[str] = mapped_column(String(16))
    configurable_id: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    fallback_channel: Mapped[str | None] = mapped_column(String(16))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    retry_count: Mapped[int] = mapped_column(Integer, default=3)
    retry_delay_minutes: Mapped[int] = mapped_column(Integer, default=5)
    template_override: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher; back to pending if it dies meanwhile
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class NotificationDelivery(IdMixin, TimestampMixin, TenantMixin, Base):
    """Outbox row written in the same transaction as the change that caused it."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_due", "status", "next_attempt_at"),)

    event_type: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    # E-mail address or E.164 phone; null when the recipient has none for the channel (the
    # dispatcher then falls back or skips, saying why).
    recipient: Mapped[str | None] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the message is about, so a cancellation can cancel its reminders and a listing
    # can filter; and the delivery this one stands in for on the fallback channel.
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    callback_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True
    )
    fallback_of: Mapped[int | None] = mapped_column(
        ForeignKey("notification_deliveries.id", ondelete="SET NULL")
    )
