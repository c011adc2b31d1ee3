"""Shared request dependencies: the session (the single commit point), cache, settings and
the app's clock. Who is calling (the API key's tenant) is tenancy's: app.tenancy.auth."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.config import Settings
from app.db import LazySession, run_after_commit

READ_METHODS = frozenset({"GET", "HEAD"})
E = TypeVar("E", bound=Callable[..., Any])


def reads_only(endpoint: E) -> E:
    """Marks an endpoint of another method than GET that never writes to the database
    (e.g. a check sent as POST): its request gets a read-only session."""
    endpoint.reads_only = True  # type: ignore[attr-defined]
    return endpoint


def writes(endpoint: E) -> E:
    """Marks a GET endpoint that may write (e.g. a repair): its session may write."""
    endpoint.reads_only = False  # type: ignore[attr-defined]
    return endpoint


def request_reads_only(request: Request) -> bool:
    """GET and HEAD never write unless marked `writes`; others write unless marked
    `reads_only`. A read-only session refuses writing statements, so a wrong mark fails
    loudly instead of racing (on SQLite it holds no write lock)."""
    marked = getattr(getattr(request.scope.get("route"), "endpoint", None), "reads_only", None)
    return request.method in READ_METHODS if marked is None else marked


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed once after the endpoint returns.

    Function scope makes the commit run before the response is sent, so a failing commit
    becomes an error response instead of a success the database never kept.
    """
    state = request.app.state
    maker = state.read_sessionmaker if request_reads_only(request) else state.sessionmaker
    lazy = LazySession(maker)  # a request served from the cache opens none
    try:
        yield lazy  # type: ignore[misc]
        session = lazy.opened
        if session is not None:
            if session.in_transaction():
                await session.commit()
            await run_after_commit(session)
    except BaseException:
        if lazy.opened is not None:
            await lazy.opened.rollback()
        raise
    finally:
        if lazy.opened is not None:
            await lazy.opened.close()


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _cache(request: Request) -> Cache:
    return request.app.state.cache


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]
CacheDep = Annotated[Cache, Depends(_cache)]


async def _now(request: Request) -> Callable[[], datetime]:
    # The app's one clock (set in create_app); tests replace it to cross a rate-limit window.
    return request.app.state.now


NowDep = Annotated[Callable[[], datetime], Depends(_now)]
