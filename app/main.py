"""Application factory: `create_app()`; its lifespan owns engine, cache and clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from app.api import api_router, root_router
from app.cache import create_cache
from app.calcom.calendar import CalcomCalendar
from app.calcom.dependencies import create_calcom_client
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker, utcnow
from app.deps import authenticate
from app.errors import add_exception_handlers
from app.invalidation import generation_source
from app.logging import configure_logging
from app.metrics import Metrics
from app.middleware import RequestContextMiddleware
from app.openapi import install_openapi

DESCRIPTION = """
Books appointments for multi-branch service businesses (salons first).

Authenticate with `Authorization: Bearer <api key>` (or `X-API-Key`). Company keys see only
their own company's data; admin keys create companies and their keys. Every error is
`application/problem+json` (RFC 9457).
"""


def _operation_id(route: APIRoute) -> str:
    # Stable operation ids (the function name) make clean generated clients.
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            echo=settings.database_echo,
        )
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.cache = create_cache(settings.redis_url)
        # Copies are served once Redis holds the database's generations (app.invalidation).
        await app.state.cache.start(generation_source(app.state.sessionmaker))
        app.state.http = httpx.AsyncClient(follow_redirects=False)
        app.state.calcom = create_calcom_client(settings, app.state.http, app.state.cache, metrics)
        # Scheduling's ports, implemented by the integrations (scheduling imports neither).
        app.state.calendar = (
            CalcomCalendar(app.state.calcom, app.state.cache) if app.state.calcom else None
        )
        try:
            yield
        finally:
            await app.state.http.aclose()
            await app.state.cache.close()
            await engine.dispose()

    # FastAPIOffline serves Swagger UI and ReDoc from the package, not from a CDN.
    app = FastAPIOffline(
        title="Booking service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    # Injectable so tests can pin "now" (e.g. to a DST change that lies in the past).
    app.state.now = utcnow
    # Told of every appointment change in its transaction (the notification outbox).
    app.state.appointment_listeners = []
    add_exception_handlers(app)
    install_openapi(app, key_dependency=authenticate)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(root_router)
    app.include_router(api_router)
    return app


def run_app() -> FastAPI:
    """Entry point for `uvicorn --factory app.main:run_app`."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
