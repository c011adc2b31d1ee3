"""Who is calling: the tenant of an API key (or the admin key), and the rate limit.

Every keyed route depends on `authenticate` (through TenantDep, CompanyIdDep or AdminDep);
app.openapi recognises keyed routes by it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth import Tenant, UnsupportedSchemeError, constant_time_equals, extract_api_key
from app.db import lazy_session
from app.deps import CacheDep, NowDep, SettingsDep
from app.errors import AuthenticationError, PermissionDeniedError
from app.logging import company_id_var
from app.ratelimit import RateLimiter
from app.tenancy.companies import ApiKeyService


async def authenticate(
    request: Request,
    settings: SettingsDep,
    cache: CacheDep,
    now: NowDep,
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
    # A read-only session of its own: authentication must not join (or, on SQLite, queue
    # for) the request's write transaction. Opened only if the key is not in the cache.
    async with lazy_session(request.app.state.read_sessionmaker) as session:
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
