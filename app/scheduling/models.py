"""Appointments and their processing-time phases."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel, relationship

from app.db import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class AppointmentStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


# Only these can be cancelled, rescheduled or given another service.
MODIFIABLE_STATUSES = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)


class AppointmentSource(enum.StrEnum):
    API = "api"
    VOICE = "voice"
    CALCOM = "calcom"


class PhaseType(enum.StrEnum):
    INITIAL = "initial"
    PROCESSING = "processing"
    FINAL = "final"


class Appointment(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_appointments_staff_time", "staff_id", "starts_at", "ends_at"),
        Index("ix_appointments_company_starts", "company_id", "starts_at"),
    )

    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="RESTRICT"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.CONFIRMED)
    source: Mapped[str] = mapped_column(String(16), default=AppointmentSource.API)
    calcom_booking_uid: Mapped[str | None] = mapped_column(String(128), unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    phases: Mapped[list[AppointmentPhase]] = relationship(
        back_populates="appointment",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AppointmentPhase.sequence_order",
    )

    __mapper_args__ = {"version_id_col": version}


class AppointmentPhase(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "appointment_phases"
    __table_args__ = (
        UniqueConstraint("appointment_id", "sequence_order"),
        # Availability reads staff-required phases of one staff member in a time window.
        Index("ix_appointment_phases_staff_time", "staff_id", "starts_at", "ends_at"),
    )

    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    # Denormalised from the appointment so the availability index needs no join.
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    phase_type: Mapped[str] = mapped_column(String(16))
    sequence_order: Mapped[int] = mapped_column(SmallInteger)
    start_offset_minutes: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    staff_required: Mapped[bool] = mapped_column(Boolean)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment] = relationship(back_populates="phases", lazy="raise")
    # Lets a booking insert its phases in one statement on SQLite too (the ORM matches the
    # rows RETURNING gives back by it); never read.
    _sentinel: Mapped[int | None] = orm_insert_sentinel()
