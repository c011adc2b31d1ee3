"""Phone calls handled by the voice agent, kept through their lifecycle events, and every
function the agent called during them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class Call(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "calls"

    # The voice platform's call id (Retell's call_id, Vapi's call.id).
    retell_call_id: Mapped[str] = mapped_column(String(128), unique=True)
    provider: Mapped[str] = mapped_column(String(16), default="retell")
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="SET NULL"))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    direction: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), default="registered")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    disconnection_reason: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(32))
    call_successful: Mapped[bool | None] = mapped_column(Boolean)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(64))


class CallInvocation(IdMixin, TimestampMixin, TenantMixin, Base):
    """One function the agent called, in order, with what it was answered: for debugging an
    agent's prompt, and (by `idempotency_key`) to answer a retried call the same way."""

    __tablename__ = "call_invocations"
    __table_args__ = (
        UniqueConstraint("call_id", "idempotency_key"),
        Index("ix_call_invocations_call_sequence", "call_id", "sequence"),
    )

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    function: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    success: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    # Mutating functions: sha256 of (function, normalised arguments); a retry finds it.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
