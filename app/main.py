"""Application factory: `create_app()`; its lifespan owns engine, cache and clients."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from app.api import add_routes_flat, api_router, index_routes, root_router
from app.config import Settings, get_settings
from app.db import utcnow
from app.errors import add_exception_handlers
from app.logging import configure_logging
from app.metrics import Metrics
from app.middleware import RequestContextMiddleware
from app.openapi import install_openapi
from app.ops.runtime import service_runtime
from app.tenancy.auth import ResolvedKeys, authenticate

DESCRIPTION = """
Books appointments for multi-branch service businesses (salons first).

Authenticate with `Authorization: Bearer <api key>` (or `X-API-Key`). Company keys see only
their own company's data; admin keys create companies and their keys. Every error is
`application/problem+json` (RFC 9457).
"""


# How long the thread holding the GIL keeps it while another waits (Python's default: 5 ms).
SQLITE_SWITCH_INTERVAL_SECONDS = 0.0001


def _operation_id(route: APIRoute) -> str:
    # Stable operation ids (the function name) make clean generated clients.
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, metrics, lambda: app.state.now()) as runtime:
            app.state.engine = runtime.engine
            app.state.sessionmaker = runtime.sessionmaker
            app.state.read_sessionmaker = runtime.read_sessionmaker
            app.state.cache = runtime.cache
            app.state.http = runtime.http
            app.state.calcom = runtime.calcom
            app.state.calendar = runtime.calendar
            app.state.appointment_listeners = runtime.appointment_listeners
            app.state.callback_listeners = runtime.callback_listeners
            # What startup built (routes, models, mappers, compiled schemas) lives as long as
            # the process: kept out of the collector's view, full collections stop scanning
            # it, which paused every request in flight.
            gc.collect()
            gc.freeze()
            if runtime.engine.dialect.name == "sqlite":
                # aiosqlite runs statements in a thread that takes the GIL back for every
                # row it fetches; with the default 5 ms switch interval a busy event loop
                # made it wait that long per row (a 400-row calendar read: 2 s under load).
                sys.setswitchinterval(SQLITE_SWITCH_INTERVAL_SECONDS)
            yield

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
    # API keys this process has resolved (checked against the auth generation per request).
    app.state.resolved_keys = ResolvedKeys()
    add_exception_handlers(app)
    install_openapi(app, key_dependency=authenticate)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    add_routes_flat(app, root_router, api_router)
    index_routes(app, authenticate)
    return app


def run_app() -> FastAPI:
    """Entry point for `uvicorn --factory app.main:run_app`."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
