"""Companies and their API keys: creation, lookup by key, revocation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Tenant, display_prefix, generate_api_key, hash_api_key
from app.cache import Cache
from app.db import utcnow
from app.errors import NotFoundError
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.errors import DuplicateError
from app.tenancy.models import ApiKey, Company

# Resolved keys are cached so the hot path needs no database read; revocation deletes the
# entry, and company changes are picked up within this many seconds.
KEY_CACHE_TTL_SECONDS = 60


def _key_cache_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:90] or "company"


class CompanyService:
    """Admin operations over all companies."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, data: dict[str, Any]) -> Company:
        data = dict(data)
        data.setdefault("slug", slugify(data["name"]))
        company = Company(**data)
        self.session.add(company)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise DuplicateError(f"A company with slug {data['slug']!r} already exists.") from exc
        return company

    async def get(self, company_id: int) -> Company:
        company = await self.session.get(Company, company_id)
        if company is None:
            raise NotFoundError(f"Company {company_id} not found.")
        return company

    async def list(self, limit: int, offset: int, *, is_active: bool | None = None) -> Page[Any]:
        stmt = select(Company).order_by(Company.id)
        if is_active is not None:
            stmt = stmt.where(Company.is_active == is_active)
        return await TenantScoped(self.session, 0).paginate(stmt, limit, offset)

    async def update(self, company: Company, changes: dict[str, Any]) -> Company:
        for field, value in changes.items():
            setattr(company, field, value)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise DuplicateError("A company with that slug already exists.") from exc
        return company


class ApiKeyService:
    def __init__(self, session: AsyncSession, cache: Cache) -> None:
        self.session = session
        self.cache = cache

    async def issue(self, company_id: int | None, name: str) -> IssuedKey:
        raw_key = generate_api_key()
        api_key = ApiKey(
            company_id=company_id,
            name=name,
            prefix=display_prefix(raw_key),
            key_hash=hash_api_key(raw_key),
        )
        self.session.add(api_key)
        await self.session.flush()
        return IssuedKey(api_key=api_key, raw_key=raw_key)

    async def list(self, company_id: int, limit: int, offset: int) -> Page[Any]:
        stmt = select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.id)
        return await TenantScoped(self.session, company_id).paginate(stmt, limit, offset)

    async def revoke(self, company_id: int, key_id: int) -> ApiKey:
        api_key = (
            await self.session.execute(
                select(ApiKey).where(ApiKey.id == key_id, ApiKey.company_id == company_id)
            )
        ).scalar_one_or_none()
        if api_key is None:
            raise NotFoundError(f"API key {key_id} not found.")
        if api_key.revoked_at is None:
            api_key.revoked_at = utcnow()
            await self.session.flush()
        await self.cache.delete(_key_cache_key(api_key.key_hash))
        return api_key

    async def authenticate(self, raw_key: str) -> Tenant | None:
        """The tenant a key belongs to, or None for an unknown, revoked or inactive one."""
        key_hash = hash_api_key(raw_key)
        cached = await self.cache.get(_key_cache_key(key_hash))
        if cached is not None:
            return Tenant(**json.loads(cached))
        row = (
            await self.session.execute(
                select(ApiKey, Company)
                .outerjoin(Company, Company.id == ApiKey.company_id)
                .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            )
        ).first()
        if row is None:
            return None
        api_key, company = row
        if company is not None and not company.is_active:
            return None
        tenant = Tenant(
            company_id=api_key.company_id,
            key_id=api_key.id,
            is_admin=api_key.company_id is None,
            rate_limit_per_minute=(company.settings or {}).get("rate_limit_per_minute")
            if company is not None
            else None,
        )
        await self.cache.set(
            _key_cache_key(key_hash),
            json.dumps(
                {
                    "company_id": tenant.company_id,
                    "key_id": tenant.key_id,
                    "is_admin": tenant.is_admin,
                    "rate_limit_per_minute": tenant.rate_limit_per_minute,
                }
            ),
            KEY_CACHE_TTL_SECONDS,
        )
        return tenant
