"""Inbound webhook log: every delivery is stored once with its outcome; redeliveries are seen."""

from __future__ import annotations

import enum
import hashlib
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.webhooks.models import WebhookEvent


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
