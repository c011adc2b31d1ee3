"""Companies and everything that belongs to one: branches, staff, services, customers."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class Company(IdMixin, TimestampMixin, Base):
    __tablename__ = "companies"
    # A Cal.com team belongs to one company: its webhooks must route to exactly one tenant.
    __table_args__ = (UniqueConstraint("calcom_team_id"),)

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    language: Mapped[str] = mapped_column(String(8), default="de")
    calcom_team_id: Mapped[int | None] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Branch(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "branches"

    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


staff_services = Table(
    "staff_services",
    Base.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_staff_services_service", "service_id"),
)


class Staff(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "staff"

    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    calcom_user_id: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    services: Mapped[list[Service]] = relationship(secondary=staff_services, lazy="raise")
    working_hours: Mapped[list[WorkingHours]] = relationship(
        back_populates="staff",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(WorkingHours.weekday, WorkingHours.start_time)",
    )

    @property
    def service_ids(self) -> list[int]:
        return sorted(service.id for service in self.services)


class WorkingHours(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("end_time > start_time", name="end_after_start"),
        Index("ix_working_hours_staff_weekday", "staff_id", "weekday"),
    )

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    staff: Mapped[Staff] = relationship(back_populates="working_hours", lazy="raise")


class TimeOff(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_time_off_staff_starts", "staff_id", "starts_at"),
    )

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(500))


class Service(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        # A Cal.com event type is booked through one service of one company.
        UniqueConstraint("calcom_event_type_id"),
    )

    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    calcom_event_type_id: Mapped[int | None] = mapped_column(Integer)
    has_processing_time: Mapped[bool] = mapped_column(Boolean, default=False)
    initial_duration: Mapped[int | None] = mapped_column(Integer)
    processing_duration: Mapped[int | None] = mapped_column(Integer)
    final_duration: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("company_id", "phone"),)

    name: Mapped[str] = mapped_column(String(200))
    # Null for customers who came in through a calendar with an email address only.
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    notes: Mapped[str | None] = mapped_column(Text)


class PhoneNumber(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "phone_numbers"

    number: Mapped[str] = mapped_column(String(32), unique=True)
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branches.id", ondelete="SET NULL"), index=True
    )
    retell_agent_id: Mapped[str | None] = mapped_column(String(128))


class ApiKey(IdMixin, TimestampMixin, Base):
    """A hashed API key; `company_id` null marks an admin key."""

    __tablename__ = "api_keys"

    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
