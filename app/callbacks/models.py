"""Callback requests taken when a booking could not be made, and their SLA escalations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class CallbackPriority(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CallbackStatus(enum.StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    CONTACTED = "contacted"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class CallbackRequest(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "callback_requests"
    __table_args__ = (
        # The escalation job scans open requests by due time.
        Index("ix_callback_requests_status_expires", "status", "expires_at"),
        # A caller's open request is looked up (and locked) by phone on every new request
        # from the voice agent: without this, a scan of every callback the company has.
        Index("ix_callback_requests_company_phone_created", "company_id", "phone", "created_at"),
    )

    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(32))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    preferred_time_window: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    priority: Mapped[str] = mapped_column(String(16), default=CallbackPriority.NORMAL)
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.PENDING)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    # Times staff tried to reach the caller (`contacted`); 3 or more makes an overdue
    # request's escalation `multiple_attempts_failed`.
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class EscalationReason(enum.StrEnum):
    SLA_BREACH = "sla_breach"
    MANUAL_ESCALATION = "manual_escalation"
    MULTIPLE_ATTEMPTS_FAILED = "multiple_attempts_failed"


class CallbackEscalation(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "callback_escalations"

    callback_request_id: Mapped[int] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True
    )
    escalation_reason: Mapped[str] = mapped_column(String(32))
    escalated_from: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    escalated_to: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_notes: Mapped[str | None] = mapped_column(Text)
