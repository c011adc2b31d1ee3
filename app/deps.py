"""Shared request dependencies: session (the single commit point), cache, settings, tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Tenant, UnsupportedSchemeError, constant_time_equals, extract_api_key
from app.cache import Cache
from app.config import Settings
from app.db import run_after_commit
from app.errors import AuthenticationError, PermissionDeniedError
from app.logging import company_id_var
from app.ratelimit import RateLimiter
from app.tenancy.companies import ApiKeyService


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


async def authenticate(
    request: Request,
    settings: SettingsDep,
    cache: CacheDep,
    now: Annotated[Callable[[], datetime], Depends(_now)],
) -> Tenant:
    try:
        raw_key = extract_api_key(request)
    except UnsupportedSchemeError as exc:
        raise AuthenticationError(
            f"Unsupported authorization scheme {str(exc)[:20]!r}: use "
            "'Authorization: Bearer <key>' (or 'X-API-Key: <key>')."
        ) from exc
    if raw_key is None:
        raise AuthenticationError(
            "Missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key'."
        )
    if settings.admin_api_key and constant_time_equals(raw_key, settings.admin_api_key):
        return Tenant(company_id=None, key_id=None, is_admin=True)
    # A session of its own: authentication must not join the request's write transaction.
    async with request.app.state.sessionmaker() as session:
        tenant = await ApiKeyService(session, cache).authenticate(raw_key)
    if tenant is None:
        raise AuthenticationError("Invalid or revoked API key.")
    if tenant.company_id is not None:
        company_id_var.set(tenant.company_id)
        limit = tenant.rate_limit_per_minute or settings.rate_limit_per_minute
        limiter = RateLimiter(cache, lambda: now().timestamp())
        await limiter.hit(f"company:{tenant.company_id}", limit)
    return tenant


TenantDep = Annotated[Tenant, Depends(authenticate)]


async def _company_id(tenant: TenantDep) -> int:
    if tenant.company_id is None:
        raise PermissionDeniedError("This endpoint needs a company API key, not an admin key.")
    return tenant.company_id


async def _admin(tenant: TenantDep) -> Tenant:
    if not tenant.is_admin:
        raise PermissionDeniedError("This endpoint needs an admin API key.")
    return tenant


CompanyIdDep = Annotated[int, Depends(_company_id)]
AdminDep = Annotated[Tenant, Depends(_admin)]
