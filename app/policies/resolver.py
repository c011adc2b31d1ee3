"""The effective policy: company → branch → service → staff configs merged, cached for 5 min.

Cache entries carry a per-company generation; any policy change bumps it after commit, so
invalidation is one write and every instance sharing the Redis cache sees it at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache import Cache
from app.inheritance import LEVEL_ORDER, Layer, Merged, merge_layers
from app.invalidation import POLICIES, GenerationCache, cached_response
from app.policies.models import PolicyConfiguration
from app.policies.schemas import EffectivePolicyQuery, EffectivePolicyRead
from app.repository import TenantScoped
from app.schemas import StoredJSON
from app.tenancy.models import Branch, Service, Staff

CACHE_TTL_SECONDS = 300


@dataclass(frozen=True)
class Source:
    """The policy a value came from."""

    level: str
    entity_id: int
    policy_id: int


@dataclass(frozen=True)
class Target:
    """The entities a policy is resolved for; None where a level does not take part."""

    company_id: int
    branch_id: int | None = None
    service_id: int | None = None
    staff_id: int | None = None

    def entities(self) -> list[tuple[str, int]]:
        ids = {
            "company": self.company_id,
            "branch": self.branch_id,
            "service": self.service_id,
            "staff": self.staff_id,
        }
        return [(level, ids[level]) for level in LEVEL_ORDER if ids[level] is not None]  # type: ignore[misc]


@dataclass(frozen=True)
class EffectivePolicy:
    policy_type: str
    target: Target
    merged: Merged[Source]
    applied: list[Source]

    @property
    def config(self) -> dict[str, Any]:
        return self.merged.config

    @property
    def has_policy(self) -> bool:
        """Rule 1 asks whether any level has a policy of this type at all."""
        return bool(self.applied)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_type": self.policy_type,
            "config": self.merged.config,
            "sources": {key: asdict(source) for key, source in self.merged.sources.items()},
            "applied": [asdict(source) for source in self.applied],
            "target": asdict(self.target),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EffectivePolicy:
        sources = {key: Source(**value) for key, value in data["sources"].items()}
        return cls(
            policy_type=data["policy_type"],
            target=Target(**data["target"]),
            merged=Merged(data["config"], sources),
            applied=[Source(**value) for value in data["applied"]],
        )


def policy_cache(cache: Cache, company_id: int) -> GenerationCache:
    """Effective policies of one company; any configuration change bumps it after commit."""
    return GenerationCache(cache, POLICIES, company_id, CACHE_TTL_SECONDS)


def policy_answers(cache: Cache, company_id: int) -> GenerationCache:
    """GET /policies/effective's answers as sent: stale with the effective policies."""
    return GenerationCache(
        cache, "policy-answers", company_id, CACHE_TTL_SECONDS, generation=POLICIES
    )


class PolicyResolver(TenantScoped):
    def __init__(self, session: AsyncSession, company_id: int, cache: Cache) -> None:
        super().__init__(session, company_id)
        self.cache = policy_cache(cache, company_id)
        self.answers = policy_answers(cache, company_id)

    async def effective(
        self,
        policy_type: str,
        *,
        staff_id: int | None = None,
        service_id: int | None = None,
        branch_id: int | None = None,
    ) -> EffectivePolicy:
        """The merged policy for any combination of staff, service and branch.

        Each id must belong to the company (404 otherwise). Without a branch, the staff
        member's branch takes part, else the service's own branch (if it has one).
        """
        return await self._resolve(policy_type, branch_id, service_id, staff_id, target=None)

    async def effective_response(self, query: EffectivePolicyQuery) -> StoredJSON:
        """`effective` as the response's JSON, kept under the policy generation, so a
        repeated question is answered with the bytes sent before."""

        async def answer() -> EffectivePolicyRead:
            policy = await self.effective(
                query.policy_type,
                staff_id=query.staff_id,
                service_id=query.service_id,
                branch_id=query.branch_id,
            )
            return EffectivePolicyRead.model_validate(policy.to_dict())

        return await cached_response(self.answers, query.model_dump_json(), answer)

    async def for_appointment(self, policy_type: str, appointment: Any) -> EffectivePolicy:
        """`appointment`: anything with branch_id, service_id and staff_id."""
        target = Target(
            self.company_id, appointment.branch_id, appointment.service_id, appointment.staff_id
        )
        # The same cache entry as an explicit query naming all three ids: same target.
        return await self._resolve(
            policy_type, target.branch_id, target.service_id, target.staff_id, target=target
        )

    async def _resolve(
        self,
        policy_type: str,
        branch_id: int | None,
        service_id: int | None,
        staff_id: int | None,
        *,
        target: Target | None,
    ) -> EffectivePolicy:
        # Stored under the generation read before computing, so a computation that started
        # before a change cannot store its (older) result where readers look after it.
        found = await self.cache.lookup(f"{policy_type}:{branch_id}:{service_id}:{staff_id}")
        if found.value is not None:
            return EffectivePolicy.from_dict(found.value)
        if target is None:
            target = await self._target(staff_id, service_id, branch_id)
        policy = await self._compute(policy_type, target)
        await found.store(policy.to_dict())
        return policy

    async def _target(
        self, staff_id: int | None, service_id: int | None, branch_id: int | None
    ) -> Target:
        staff = await self.get_or_404(Staff, staff_id) if staff_id is not None else None
        service = await self.get_or_404(Service, service_id) if service_id is not None else None
        if branch_id is not None:
            await self.get_or_404(Branch, branch_id)
        elif staff is not None:
            branch_id = staff.branch_id
        elif service is not None:
            branch_id = service.branch_id
        return Target(self.company_id, branch_id, service_id, staff_id)

    async def _compute(self, policy_type: str, target: Target) -> EffectivePolicy:
        entities = target.entities()
        stmt = (
            self.scoped(PolicyConfiguration)
            .where(
                PolicyConfiguration.policy_type == policy_type,
                PolicyConfiguration.deleted_at.is_(None),
                or_(
                    *(
                        and_(
                            PolicyConfiguration.configurable_type == level,
                            PolicyConfiguration.configurable_id == entity_id,
                        )
                        for level, entity_id in entities
                    )
                ),
            )
            .order_by(PolicyConfiguration.id)
        )
        rows = (await self.session.execute(stmt)).scalars().all()
        # One active row per entity is kept by the writers; should two ever exist, the
        # newest wins (later rows overwrite earlier ones here).
        by_entity = {(row.configurable_type, row.configurable_id): row for row in rows}
        layers = [
            Layer(Source(level, entity_id, by_entity[(level, entity_id)].id), row.config)
            for level, entity_id in entities
            if (row := by_entity.get((level, entity_id))) is not None
        ]
        return EffectivePolicy(
            policy_type, target, merge_layers(layers), [layer.source for layer in layers]
        )
