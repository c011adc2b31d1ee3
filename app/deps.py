"""Shared request dependencies: the session (the single commit point), cache, settings and
the app's clock. Who is calling (the API key's tenant) is tenancy's: app.tenancy.auth."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.config import Settings
from app.db import run_after_commit


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed once after the endpoint returns.

    Function scope makes the commit run before the response is sent, so a failing commit
    becomes an error response instead of a success the database never kept.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            if session.in_transaction():  # a request served from the cache never began one
                await session.commit()
        except BaseException:
            await session.rollback()
            raise
        await run_after_commit(session)


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
