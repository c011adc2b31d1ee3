"""The notification events (seeded by migration 0002) and what each is by default.

The catalogue is read once per process: it is seeded data that no request changes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.notifications.models import NotificationEventMapping

# Reminders are due this long before the appointment starts.
REMINDERS = {
    "reminder_1week": timedelta(days=7),
    "reminder_24h": timedelta(hours=24),
    "reminder_2h": timedelta(hours=2),
}
# Kept for a payment feature that does not exist yet: nothing writes it.
UNUSED = frozenset({"payment_received"})
DEFAULT_RETRY_COUNT = 3
DEFAULT_RETRY_DELAY_MINUTES = 5


@dataclass(frozen=True)
class EventDefaults:
    event_type: str
    label: str
    category: str
    channels: tuple[str, ...]
    description: str | None
    is_active: bool

    def config(self) -> dict[str, object]:
        """The event's own settings, under every level's."""
        return {
            "channel": self.channels[0],
            "fallback_channel": self.channels[1] if len(self.channels) > 1 else None,
            "is_enabled": self.is_active and self.event_type not in UNUSED,
            "retry_count": DEFAULT_RETRY_COUNT,
            "retry_delay_minutes": DEFAULT_RETRY_DELAY_MINUTES,
            "template_override": None,
        }


_catalogue: dict[str, EventDefaults] | None = None
_lock = asyncio.Lock()


async def catalogue(session: AsyncSession) -> dict[str, EventDefaults]:
    global _catalogue
    if _catalogue is None:
        async with _lock:
            if _catalogue is None:
                rows = (await session.execute(select(NotificationEventMapping))).scalars()
                _catalogue = {
                    row.event_type: EventDefaults(
                        row.event_type,
                        row.event_label,
                        row.event_category,
                        tuple(row.default_channels or ["email"]),
                        row.description,
                        row.is_active,
                    )
                    for row in rows
                }
    return _catalogue
