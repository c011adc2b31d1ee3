"""Notification settings per level, and the effective settings of an event.

A level (company, branch, service, staff) stores the keys it sets; a key it leaves out is
inherited from the level above, down to the event's own defaults. Resolution runs staff →
service → branch → company → event, key by key, and says where each value came from, as
effective policies do. The company's stored settings are cached under a generation that
every change bumps in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.errors import NotFoundError, ValidationFailedError
from app.inheritance import LEVEL_ORDER, Layer, merge_layers
from app.invalidation import GenerationCache
from app.notifications.events import catalogue
from app.notifications.models import NotificationConfiguration
from app.notifications.templates import template_problem
from app.repository import TenantScoped
from app.tenancy.models import Branch, Service, Staff

KEYS = (
    "channel",
    "fallback_channel",
    "is_enabled",
    "retry_count",
    "retry_delay_minutes",
    "template_override",
)
CACHE_TTL_SECONDS = 300


def settings_cache(cache: Cache, company_id: int) -> GenerationCache:
    return GenerationCache(cache, "notif", company_id, CACHE_TTL_SECONDS)


@dataclass(frozen=True)
class Target:
    """Who an event concerns: the levels that take part (None: not this level)."""

    company_id: int
    branch_id: int | None = None
    service_id: int | None = None
    staff_id: int | None = None

    def levels(self) -> list[tuple[str, int]]:
        """Company first, staff last: the order values are laid over each other."""
        ids = {
            "company": self.company_id,
            "branch": self.branch_id,
            "service": self.service_id,
            "staff": self.staff_id,
        }
        return [(level, ids[level]) for level in LEVEL_ORDER if ids[level] is not None]  # type: ignore[misc]


@dataclass(frozen=True)
class Effective:
    event_type: str
    config: dict[str, Any]
    # key -> {"level", "entity_id", "configuration_id"}; {"level": "default"} for the event's.
    sources: dict[str, dict[str, Any]]


class NotificationSettings(TenantScoped):
    def __init__(self, session: AsyncSession, company_id: int, cache: Cache) -> None:
        super().__init__(session, company_id)
        self.cache = settings_cache(cache, company_id)

    async def put(
        self, level: str, entity_id: int, event_type: str, values: dict[str, Any]
    ) -> tuple[NotificationConfiguration, bool]:
        """Set this level's settings of the event (replacing what it had); `values` holds
        only the keys sent. Answers the row and whether it was created."""
        await self._check_target(level, entity_id, event_type)
        self._check_values(values)
        existing = await self._rows(level, entity_id, event_type)
        created = not existing
        for row in existing[1:]:
            await self.session.delete(row)
        row = existing[0] if existing else None
        if row is None:
            row = NotificationConfiguration(
                company_id=self.company_id,
                configurable_type=level,
                configurable_id=entity_id,
                event_type=event_type,
            )
            self.session.add(row)
        defaults = (await catalogue(self.session))[event_type].config()
        for key in KEYS:
            setattr(row, key, values.get(key, defaults[key]))
        row.details = {"set": sorted(values)}
        await self.session.flush()
        await self.cache.invalidate(self.session)
        return row, created

    async def get(self, level: str, entity_id: int, event_type: str) -> NotificationConfiguration:
        await self._check_target(level, entity_id, event_type)
        rows = await self._rows(level, entity_id, event_type)
        if not rows:
            raise NotFoundError(f"No {event_type} settings are set on {level} {entity_id}.")
        return rows[0]

    async def delete(self, level: str, entity_id: int, event_type: str) -> None:
        """The level then inherits every key from above."""
        await self.get(level, entity_id, event_type)
        await self.session.execute(
            delete(NotificationConfiguration).where(
                NotificationConfiguration.company_id == self.company_id,
                NotificationConfiguration.configurable_type == level,
                NotificationConfiguration.configurable_id == entity_id,
                NotificationConfiguration.event_type == event_type,
            )
        )
        await self.cache.invalidate(self.session)

    async def effective(
        self,
        event_type: str,
        *,
        branch_id: int | None = None,
        service_id: int | None = None,
        staff_id: int | None = None,
    ) -> Effective:
        """The settings of an event for these entities (each must be the company's)."""
        await self._check_event(event_type)
        for model, entity_id in ((Branch, branch_id), (Service, service_id), (Staff, staff_id)):
            if entity_id is not None:
                await self.get_or_404(model, entity_id)
        target = Target(self.company_id, branch_id, service_id, staff_id)
        return await self.resolve(event_type, target)

    async def resolve(self, event_type: str, target: Target) -> Effective:
        """Lay the levels' set keys over the event's defaults, company first (the policies'
        merge: a key a level leaves out is inherited, a key it sets replaces)."""
        defaults = (await catalogue(self.session))[event_type].config()
        stored = await self._stored()
        layers = [Layer({"level": "default"}, defaults)]
        for level, entity_id in target.levels():
            row = stored.get(f"{level}:{entity_id}:{event_type}")
            if row is not None:
                source = {"level": level, "entity_id": entity_id, "configuration_id": row["id"]}
                layers.append(Layer(source, {key: row["values"][key] for key in row["set"]}))
        merged = merge_layers(layers)
        return Effective(event_type, merged.config, merged.sources)

    async def _stored(self) -> dict[str, dict[str, Any]]:
        """The company's stored settings (all levels and events), from the cache."""
        found = await self.cache.lookup("all")
        if found.value is not None:
            return found.value
        rows = (await self.session.execute(self.scoped(NotificationConfiguration))).scalars()
        stored = {
            f"{row.configurable_type}:{row.configurable_id}:{row.event_type}": {
                "id": row.id,
                "set": (row.details or {}).get("set", list(KEYS)),
                "values": {key: getattr(row, key) for key in KEYS},
            }
            for row in rows
        }
        await found.store(stored)
        return stored

    async def _rows(
        self, level: str, entity_id: int, event_type: str
    ) -> list[NotificationConfiguration]:
        stmt = (
            self.scoped(NotificationConfiguration)
            .where(
                NotificationConfiguration.configurable_type == level,
                NotificationConfiguration.configurable_id == entity_id,
                NotificationConfiguration.event_type == event_type,
            )
            .order_by(NotificationConfiguration.id)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def _check_target(self, level: str, entity_id: int, event_type: str) -> None:
        await self._check_event(event_type)
        if level == "company":
            if entity_id != self.company_id:
                raise NotFoundError(f"Company {entity_id} not found.")
            return
        model = {"branch": Branch, "service": Service, "staff": Staff}[level]
        await self.get_or_404(model, entity_id)

    async def _check_event(self, event_type: str) -> None:
        if event_type not in await catalogue(self.session):
            raise NotFoundError(
                f"No notification event {event_type!r}; GET /api/v1/notifications/events "
                "lists them."
            )

    @staticmethod
    def _check_values(values: dict[str, Any]) -> None:
        channel, fallback = values.get("channel"), values.get("fallback_channel")
        if fallback is not None and fallback == channel:
            raise ValidationFailedError(
                "body.fallback_channel", "must differ from channel (or be left out)"
            )
        template = values.get("template_override")
        if template is not None and (problem := template_problem(template)) is not None:
            raise ValidationFailedError("body.template_override", problem)
