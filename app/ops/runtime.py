"""The service's parts, built and wired in one place: for the API (its lifespan), the CLI's
jobs and the worker. This is the composition root: it connects scheduling's ports to the
integrations that implement them, so no domain package imports an integration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.cache import MemoryCache, RedisCache, create_cache
from app.calcom.calendar import CalcomCalendar
from app.calcom.client import CalcomClient
from app.calcom.dependencies import create_calcom_client
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.invalidation import generation_source
from app.metrics import Metrics
from app.scheduling.ports import CalendarPort, ChangeListener


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


@asynccontextmanager
async def service_runtime(
    settings: Settings, metrics: Metrics | None = None
) -> AsyncIterator[Runtime]:
    metrics = metrics or Metrics()
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        echo=settings.database_echo,
    )
    sessionmaker = create_sessionmaker(engine)
    cache = create_cache(settings.redis_url)
    http = httpx.AsyncClient(follow_redirects=False)
    try:
        # Copies are served once Redis holds the database's generations (app.invalidation).
        await cache.start(generation_source(sessionmaker))
        calcom = create_calcom_client(settings, http, cache, metrics)
        yield Runtime(
            settings=settings,
            metrics=metrics,
            engine=engine,
            sessionmaker=sessionmaker,
            cache=cache,
            http=http,
            calcom=calcom,
            calendar=CalcomCalendar(calcom, cache) if calcom is not None else None,
        )
    finally:
        await http.aclose()
        await cache.close()
        await engine.dispose()
