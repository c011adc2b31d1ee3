"""Who is calling: the tenant of an API key (or the admin key), and the rate limit.

Every keyed route depends on `authenticate` (through TenantDep, CompanyIdDep or AdminDep);
app.openapi recognises keyed routes by it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from app.auth import (
    AUTHENTICATED_TENANT,
    Tenant,
    UnsupportedSchemeError,
    constant_time_equals,
    extract_api_key,
    hash_api_key,
)
from app.cache import Cache
from app.config import Settings
from app.db import lazy_session
from app.errors import AuthenticationError, PermissionDeniedError
from app.invalidation import company_generation_keys
from app.logging import company_id_var
from app.ratelimit import Counted, RateLimiter
from app.tenancy.companies import ApiKeyService, auth_cache

# Bounds on what a process keeps; a key unused this long is resolved again.
RESOLVED_KEYS_MAX = 10_000
RESOLVED_KEY_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class _Resolved:
    tenant: Tenant
    generation: int
    expires_at: float


class ResolvedKeys:
    """Keys this process has resolved, each with the auth generation it was resolved under.

    One is used only when the generation read in the same round trip as the request's rate
    limit count is still that one: revoking a key or changing a company bumps the generation
    (in the database, copied to the cache before the change is answered), so the very next
    request on every process resolves the key again. When the cache cannot vouch for the
    generation (Redis stalled or down), nothing kept here is used.
    """

    def __init__(self) -> None:
        self._resolved: dict[str, _Resolved] = {}

    def get(self, key_hash: str) -> _Resolved | None:
        resolved = self._resolved.get(key_hash)
        if resolved is not None and resolved.expires_at <= time.monotonic():
            del self._resolved[key_hash]
            return None
        return resolved

    def remember(self, key_hash: str, tenant: Tenant, generation: int) -> None:
        if len(self._resolved) >= RESOLVED_KEYS_MAX:
            self._resolved.clear()
        expires_at = time.monotonic() + RESOLVED_KEY_SECONDS
        self._resolved[key_hash] = _Resolved(tenant, generation, expires_at)

    def forget(self, key_hash: str) -> None:
        self._resolved.pop(key_hash, None)


async def authenticate(request: Request) -> Tenant:
    resolved: Tenant | None = request.scope.get(AUTHENTICATED_TENANT)
    if resolved is not None:  # by app.stored_answers, for this same request
        return resolved
    # Settings, cache and clock are read from the app's state here rather than declared as
    # dependencies: this runs on every keyed request, and each declared dependency costs
    # FastAPI's resolver more than the lookup itself.
    state = request.app.state
    settings: Settings = state.settings
    cache: Cache = state.cache
    now: Callable[[], datetime] = state.now
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
    key_hash = hash_api_key(raw_key)
    keys: ResolvedKeys = request.app.state.resolved_keys
    limiter = RateLimiter(cache, lambda: now().timestamp())
    counted: Counted | None = None
    known = keys.get(key_hash)
    if known is not None and known.tenant.company_id is not None:
        # One round trip: the company's request counted, the auth generation read.
        company_id = known.tenant.company_id
        counted = await limiter.count_reading(
            f"company:{company_id}",
            auth_cache(cache).generation_key,
            read_ahead=company_generation_keys(company_id),
        )
        if counted.generation == known.generation:
            _enforce(known.tenant, counted, settings.rate_limit_per_minute)
            return known.tenant
        keys.forget(key_hash)  # a key or company changed since: resolve it again
    # A read-only session of its own: authentication must not join (or, on SQLite, queue
    # for) the request's write transaction. Opened only if the key is not in the cache.
    async with lazy_session(request.app.state.read_sessionmaker) as session:
        tenant, generation = await ApiKeyService(session, cache).resolve(key_hash)
    if tenant is None:
        raise AuthenticationError("Invalid or revoked API key.")
    if tenant.company_id is not None:
        if counted is None:
            limit = tenant.rate_limit_per_minute or settings.rate_limit_per_minute
            company_id_var.set(tenant.company_id)
            await limiter.hit(f"company:{tenant.company_id}", limit)
        else:  # already counted above, for this same company
            _enforce(tenant, counted, settings.rate_limit_per_minute)
        if generation is not None:
            keys.remember(key_hash, tenant, generation)
    return tenant


def _enforce(tenant: Tenant, counted: Counted, default_limit: int) -> None:
    company_id_var.set(tenant.company_id)
    counted.enforce(tenant.rate_limit_per_minute or default_limit)


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
