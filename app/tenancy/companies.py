"""Companies and their API keys: creation, lookup by key, revocation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from slugify import slugify as _slugify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Tenant, display_prefix, generate_api_key, hash_api_key
from app.cache import Cache
from app.db import utcnow
from app.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from app.invalidation import GenerationCache, company_state_changed
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.company_settings import OPERATOR_KEYS, CompanySettings, merge_settings
from app.tenancy.errors import DuplicateError
from app.tenancy.models import ApiKey, Company, Staff

# Resolved keys are cached so the hot path needs no database read. Revoking a key and any
# change to a company (deactivation, rate limit) bump the generation in the same
# transaction, so no copy outlives the change.
KEY_CACHE_TTL_SECONDS = 300


def auth_cache(cache: Cache) -> GenerationCache:
    return GenerationCache(cache, "auth", None, KEY_CACHE_TTL_SECONDS)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str


# German umlauts are spelt out the German way, not stripped ("Schön" -> "schoen").
GERMAN_LETTERS = [["ä", "ae"], ["ö", "oe"], ["ü", "ue"], ["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"]]


def slugify(name: str) -> str:
    """URL-safe id of a name, transliterated: "Salon Schön" -> "salon-schoen"."""
    slug = _slugify(name, max_length=90, word_boundary=True, replacements=GERMAN_LETTERS)
    return slug or "company"


class CompanyService:
    """Admin operations over all companies, and a company's changes to itself."""

    def __init__(self, session: AsyncSession, cache: Cache) -> None:
        self.session = session
        self.cache = cache

    async def create(self, data: dict[str, Any]) -> Company:
        data = dict(data)
        data.setdefault("slug", slugify(data["name"]))
        company = Company(**data)
        self.session.add(company)
        await self._flush_unique(company)
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

    async def update(
        self, company: Company, changes: dict[str, Any], *, operator: bool = False
    ) -> Company:
        """Apply a partial update. `settings` is merged into the stored settings (a key set
        to null returns to its default); operator-only keys need `operator`."""
        changes = dict(changes)
        if "settings" in changes:
            patch = changes.pop("settings")
            refused = sorted(OPERATOR_KEYS & patch.keys())
            if refused and not operator:
                raise PermissionDeniedError(
                    f"settings.{refused[0]} is set by the operator of this service; ask them "
                    "to change it.",
                    field=f"body.settings.{refused[0]}",
                )
            merged = merge_settings(company.settings, patch)
            validated = CompanySettings.model_validate(merged)
            if patch.get("callback_escalation_staff_id") is not None:
                await self._require_active_staff(company, validated.callback_escalation_staff_id)
            company.settings = validated.stored()
        for field, value in changes.items():
            setattr(company, field, value)
        await self._flush_unique(company)
        # Keys resolved before this change carry the old state (active, rate limit), and
        # copies computed under the old settings or zone (grid, notice) are stale.
        await auth_cache(self.cache).invalidate(self.session)
        await company_state_changed(self.session, self.cache, company.id)
        return company

    async def _require_active_staff(self, company: Company, staff_id: int | None) -> None:
        """Overdue callbacks go to this person: another company's or a departed staff
        member would silently send them nowhere."""
        found = await self.session.scalar(
            select(Staff.id).where(
                Staff.id == staff_id, Staff.company_id == company.id, Staff.is_active.is_(True)
            )
        )
        if found is None:
            raise ValidationFailedError(
                "body.settings.callback_escalation_staff_id",
                f"no active staff member {staff_id} in this company",
            )

    async def _flush_unique(self, company: Company) -> None:
        """Flush, answering 409 for a slug or Cal.com team another company holds."""
        if company.calcom_team_id is not None:
            holders = select(Company.id).where(Company.calcom_team_id == company.calcom_team_id)
            if company.id is not None:
                holders = holders.where(Company.id != company.id)
            holder = await self.session.scalar(holders)
            if holder is not None:
                raise DuplicateError(
                    f"Cal.com team {company.calcom_team_id} is already linked to another "
                    "company; a team can belong to one company only.",
                    field="body.calcom_team_id",
                )
        try:
            await self.session.flush()
        except IntegrityError as exc:
            # The team check above covers all but a concurrent claim; the slug is the rest.
            raise DuplicateError(
                f"A company with slug {company.slug!r} or Cal.com team "
                f"{company.calcom_team_id} already exists.",
                field="body.slug",
            ) from exc


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
            await auth_cache(self.cache).invalidate(self.session)
        return api_key

    async def authenticate(self, raw_key: str) -> Tenant | None:
        """The tenant a key belongs to, or None for an unknown, revoked or inactive one."""
        tenant, _ = await self.resolve(hash_api_key(raw_key))
        return tenant

    async def resolve(self, key_hash: str) -> tuple[Tenant | None, int | None]:
        """The tenant of a key (by its hash), and the generation of the auth cache it was
        read under (None when the cache cannot vouch for it: then it must not be kept)."""
        found = await auth_cache(self.cache).lookup(key_hash)
        if found.value is not None:
            return Tenant(**found.value), found.generation
        row = (
            await self.session.execute(
                select(ApiKey, Company)
                .outerjoin(Company, Company.id == ApiKey.company_id)
                .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            )
        ).first()
        if row is None or (row[1] is not None and not row[1].is_active):
            return None, None
        api_key, company = row
        tenant = Tenant(
            company_id=api_key.company_id,
            key_id=api_key.id,
            is_admin=api_key.company_id is None,
            rate_limit_per_minute=CompanySettings.from_stored(
                company.settings
            ).rate_limit_per_minute
            if company is not None
            else None,
        )
        await found.store(asdict(tenant))
        return tenant, found.generation
