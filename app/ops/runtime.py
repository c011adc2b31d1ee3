"""The service's parts, built and wired in one place: for the API (its lifespan), the CLI's
jobs and the worker. This is the composition root: it connects scheduling's ports to the
integrations that implement them, so no domain package imports an integration.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.cache import Cache, MemoryCache, RedisCache, create_cache
from app.calcom.calendar import CalcomCalendar
from app.calcom.client import CalcomClient
from app.calcom.dependencies import create_calcom_client
from app.callbacks.models import CallbackRequest
from app.callbacks.service import CallbackListener
from app.config import Settings
from app.db import create_engine, create_read_sessionmaker, create_sessionmaker, utcnow
from app.invalidation import generation_source
from app.metrics import Metrics
from app.notifications.events import catalogue
from app.notifications.outbox import NotificationOutbox
from app.scheduling.ports import AppointmentChange, CalendarPort, ChangeListener

logger = logging.getLogger("app.ops.runtime")


@dataclass
class Runtime:
    settings: Settings
    metrics: Metrics
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: MemoryCache | RedisCache
    http: httpx.AsyncClient
    calcom: CalcomClient | None
    # Scheduling's ports: the external calendar, and who hears of appointment changes.
    calendar: CalendarPort | None
    appointment_listeners: list[ChangeListener] = field(default_factory=list)
    callback_listeners: list[CallbackListener] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow
    # For work that never writes: deferred transactions on SQLite (app.db). Jobs built
    # without one read through `sessionmaker`.
    read_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def outbox_listener(cache: Cache, clock: Callable[[], datetime]) -> ChangeListener:
    """Every appointment change writes its notifications in its own transaction."""

    async def write(session: AsyncSession, change: AppointmentChange) -> None:
        appointment = change.appointment
        outbox = NotificationOutbox(session, appointment.company_id, cache, clock)
        await outbox.appointment_changed(str(change.kind), appointment, change.details)

    return write


def callback_outbox_listener(cache: Cache, clock: Callable[[], datetime]) -> CallbackListener:
    """A new callback request tells the staff who should call back, in its transaction."""

    async def write(session: AsyncSession, callback: CallbackRequest, event: str) -> None:
        outbox = NotificationOutbox(session, callback.company_id, cache, clock)
        await outbox.callback_received(callback)

    return write


@asynccontextmanager
async def service_runtime(
    settings: Settings,
    metrics: Metrics | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> AsyncIterator[Runtime]:
    """`clock`: the app's clock (tests pin it), read by the notification outbox."""
    metrics = metrics or Metrics()
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        echo=settings.database_echo,
    )
    sessionmaker = create_sessionmaker(engine)
    read_sessionmaker = create_read_sessionmaker(engine)
    cache = create_cache(settings.redis_url)
    http = httpx.AsyncClient(follow_redirects=False)
    try:
        # Copies are served once Redis holds the database's generations (app.invalidation).
        await cache.start(generation_source(read_sessionmaker))
        calcom = create_calcom_client(settings, http, cache, metrics)
        await _load_event_catalogue(sessionmaker)
        yield Runtime(
            settings=settings,
            metrics=metrics,
            engine=engine,
            sessionmaker=sessionmaker,
            read_sessionmaker=read_sessionmaker,
            cache=cache,
            http=http,
            calcom=calcom,
            calendar=CalcomCalendar(calcom, cache) if calcom is not None else None,
            appointment_listeners=[outbox_listener(cache, clock)],
            callback_listeners=[callback_outbox_listener(cache, clock)],
            clock=clock,
        )
    finally:
        await http.aclose()
        await cache.close()
        await engine.dispose()


async def _load_event_catalogue(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Read the notification events once at start, not during the first booking. A database
    that cannot answer yet (down, not migrated) is left to the first request."""
    try:
        async with sessionmaker() as session:
            await catalogue(session)
    except Exception as exc:
        logger.warning("notifications.catalogue_not_loaded", extra={"error": repr(exc)[:200]})
