"""Inbound webhook log shared by Cal.com and Retell: every delivery is stored once with its
outcome (the row is the deduplication claim), so a redelivery is seen and changes nothing."""

from __future__ import annotations

import enum
import hashlib
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TimestampMixin


class WebhookEvent(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("source", "dedup_key"),)

    # Null until the event has been matched to a company (a foreign event never is).
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(191))
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class WebhookOutcome(enum.StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    REJECTED = "rejected"
    MALFORMED = "malformed"


def body_fingerprint(raw_body: bytes) -> str:
    """A redelivered hook carries the same bytes (its createdAt included), so their hash
    identifies it; a new event always differs."""
    return hashlib.sha256(raw_body).hexdigest()


class WebhookLog:
    def __init__(self, session: AsyncSession, source: str) -> None:
        self.session = session
        self.source = source

    async def claim(
        self, dedup_key: str, event_type: str, payload: dict[str, Any] | None
    ) -> WebhookEvent | None:
        """Insert the event as being processed, or None when it was received before."""
        event = WebhookEvent(
            source=self.source,
            dedup_key=dedup_key,
            event_type=event_type[:64],
            status=WebhookOutcome.PROCESSED,
            payload=payload,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(event)
        except IntegrityError:
            return None
        return event

    async def record(
        self,
        dedup_key: str,
        event_type: str,
        outcome: WebhookOutcome,
        *,
        payload: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> WebhookEvent:
        event = WebhookEvent(
            source=self.source,
            dedup_key=dedup_key,
            event_type=event_type[:64],
            status=outcome,
            payload=payload,
            error=error,
        )
        self.session.add(event)
        await self.session.flush()
        return event
