"""What was (or will be) sent: the outbox rows of a company, for admin apps."""

from __future__ import annotations

from typing import Any

from app.notifications.events import UNUSED, catalogue
from app.notifications.models import NotificationDelivery
from app.notifications.schemas import DeliveryFilters, EventRead
from app.repository import TenantScoped
from app.schemas import Page


class DeliveryLog(TenantScoped):
    async def list(self, filters: DeliveryFilters) -> Page[Any]:
        stmt = self.scoped(NotificationDelivery)
        if filters.appointment_id is not None:
            stmt = stmt.where(NotificationDelivery.appointment_id == filters.appointment_id)
        if filters.callback_id is not None:
            stmt = stmt.where(NotificationDelivery.callback_request_id == filters.callback_id)
        if filters.event_type is not None:
            stmt = stmt.where(NotificationDelivery.event_type == filters.event_type)
        if filters.status is not None:
            stmt = stmt.where(NotificationDelivery.status == filters.status)
        stmt = stmt.order_by(NotificationDelivery.id)
        return await self.paginate(stmt, filters.limit, filters.offset)

    async def events(self) -> list[EventRead]:
        return [
            EventRead(
                event_type=event.event_type,
                label=event.label,
                category=event.category,
                default_channels=list(event.channels),
                description=event.description,
                is_used=event.event_type not in UNUSED,
            )
            for event in (await catalogue(self.session)).values()
        ]
