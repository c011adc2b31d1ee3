"""Policy configurations per level: validated upsert, read, soft delete and override links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.db import utcnow
from app.errors import NotFoundError, ValidationFailedError
from app.policies.config_keys import validate_config
from app.policies.errors import OverrideCycleError
from app.policies.models import PolicyConfiguration, PolicyLevel
from app.policies.resolver import policy_cache
from app.policies.schemas import PolicyFilters, PolicyWrite
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.models import Branch, Company, Service, Staff

LEVEL_MODELS: dict[str, type[Any]] = {
    PolicyLevel.BRANCH: Branch,
    PolicyLevel.SERVICE: Service,
    PolicyLevel.STAFF: Staff,
}


class PolicyConfigService(TenantScoped):
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        cache: Cache,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(session, company_id)
        self.cache = policy_cache(cache, company_id)
        self.clock = clock

    async def put(
        self, level: str, entity_id: int, policy_type: str, data: PolicyWrite
    ) -> tuple[PolicyConfiguration, bool]:
        """Create or replace the entity's active policy of this type; True when created.

        Refuses unknown keys, wrong types and out-of-range values (422 naming the field),
        override links to another type or company, and links that would form a cycle.
        Effective policies of the whole company are invalidated after commit.
        """
        await self._lock_company()
        await self._entity(level, entity_id)
        config = validate_config(policy_type, data.config)
        is_override = data.is_override if data.is_override is not None else bool(data.overrides_id)
        if data.overrides_id is not None and not is_override:
            raise ValidationFailedError("body.is_override", "must be true when overrides_id is set")
        policy = await self._active(level, entity_id, policy_type)
        if data.overrides_id is not None:
            await self._check_link(policy.id if policy else None, data.overrides_id, policy_type)
        created = policy is None
        if policy is None:
            policy = PolicyConfiguration(
                company_id=self.company_id,
                configurable_type=level,
                configurable_id=entity_id,
                policy_type=policy_type,
            )
            self.session.add(policy)
        policy.config = config
        policy.is_override = is_override
        policy.overrides_id = data.overrides_id
        await self.session.flush()
        await self.cache.invalidate(self.session)
        return policy, created

    async def get(self, level: str, entity_id: int, policy_type: str) -> PolicyConfiguration:
        await self._entity(level, entity_id)
        policy = await self._active(level, entity_id, policy_type)
        if policy is None:
            raise NotFoundError(f"No {policy_type} policy is set on {level} {entity_id}.")
        return policy

    async def delete(self, level: str, entity_id: int, policy_type: str) -> None:
        """Soft delete: the row stays for the audit trail; lower levels then inherit from
        the levels above."""
        await self._lock_company()
        policy = await self.get(level, entity_id, policy_type)
        policy.deleted_at = self.clock()
        await self.session.flush()
        await self.cache.invalidate(self.session)

    async def list(self, filters: PolicyFilters) -> Page[Any]:
        stmt = self.scoped(PolicyConfiguration).where(PolicyConfiguration.deleted_at.is_(None))
        if filters.level is not None:
            stmt = stmt.where(PolicyConfiguration.configurable_type == filters.level)
        if filters.entity_id is not None:
            stmt = stmt.where(PolicyConfiguration.configurable_id == filters.entity_id)
        if filters.policy_type is not None:
            stmt = stmt.where(PolicyConfiguration.policy_type == filters.policy_type)
        stmt = stmt.order_by(PolicyConfiguration.id)
        return await self.paginate(stmt, filters.limit, filters.offset)

    async def _lock_company(self) -> None:
        # Serialises policy writes per company: two concurrent PUTs for one entity cannot
        # both insert an active row, and two link changes cannot close a cycle between them.
        await self.session.execute(
            select(Company.id).where(Company.id == self.company_id).with_for_update()
        )

    async def _entity(self, level: str, entity_id: int) -> None:
        if level == PolicyLevel.COMPANY:
            if entity_id != self.company_id:
                raise NotFoundError(f"Company {entity_id} not found.")
            return
        await self.get_or_404(LEVEL_MODELS[level], entity_id)

    async def _active(
        self, level: str, entity_id: int, policy_type: str
    ) -> PolicyConfiguration | None:
        stmt = (
            self.scoped(PolicyConfiguration)
            .where(
                PolicyConfiguration.configurable_type == level,
                PolicyConfiguration.configurable_id == entity_id,
                PolicyConfiguration.policy_type == policy_type,
                PolicyConfiguration.deleted_at.is_(None),
            )
            .order_by(PolicyConfiguration.id.desc())
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def _check_link(self, policy_id: int | None, overrides_id: int, policy_type: str) -> None:
        """The linked policy must be an active one of this company and type, and following
        the links from it must never lead back to the policy being written."""
        rows = await self.session.execute(
            select(PolicyConfiguration.id, PolicyConfiguration.overrides_id).where(
                PolicyConfiguration.company_id == self.company_id,
                PolicyConfiguration.policy_type == policy_type,
                PolicyConfiguration.deleted_at.is_(None),
            )
        )
        links: dict[int, int | None] = {row.id: row.overrides_id for row in rows}
        if overrides_id not in links:
            raise ValidationFailedError(
                "body.overrides_id", f"no active {policy_type} policy {overrides_id} exists"
            )
        chain = [policy_id]
        current: int | None = overrides_id
        while current is not None and current not in chain[1:]:
            if current == policy_id:
                raise OverrideCycleError([*chain, current])  # type: ignore[list-item]
            chain.append(current)
            current = links.get(current)
