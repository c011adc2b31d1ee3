"""Policy configurations per level, the modification audit trail and its per-period counters."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class PolicyLevel(enum.StrEnum):
    COMPANY = "company"
    BRANCH = "branch"
    SERVICE = "service"
    STAFF = "staff"


class PolicyType(enum.StrEnum):
    CANCELLATION = "cancellation"
    RESCHEDULE = "reschedule"
    RECURRING = "recurring"


class PolicyConfiguration(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "policy_configurations"
    __table_args__ = (
        Index(
            "ix_policy_configurations_target",
            "company_id",
            "configurable_type",
            "configurable_id",
            "policy_type",
        ),
    )

    configurable_type: Mapped[str] = mapped_column(String(16))
    configurable_id: Mapped[int] = mapped_column(Integer)
    policy_type: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_override: Mapped[bool] = mapped_column(Boolean, default=False)
    overrides_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy_configurations.id", ondelete="SET NULL")
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ModificationType(enum.StrEnum):
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"


class AppointmentModification(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "appointment_modifications"
    __table_args__ = (Index("ix_appointment_modifications_customer", "customer_id", "created_at"),)

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    modification_type: Mapped[str] = mapped_column(String(16))
    within_policy: Mapped[bool] = mapped_column(Boolean)
    fee_charged: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    reason: Mapped[str | None] = mapped_column(Text)
    modified_by_type: Mapped[str] = mapped_column(String(16))
    modified_by_id: Mapped[str | None] = mapped_column(String(64))
    # "metadata" is reserved on declarative classes; the column keeps the DESIGN name.
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)


class AppointmentModificationStat(IdMixin, TimestampMixin, TenantMixin, Base):
    """One counter per customer, type and period, so a quota check is a single read."""

    __tablename__ = "appointment_modification_stats"
    __table_args__ = (UniqueConstraint("company_id", "customer_id", "stat_type", "period_start"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    stat_type: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
