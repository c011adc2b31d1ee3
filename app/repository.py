"""Tenant-scoped query helpers every domain service builds on.

Scoping lives here so that no service can forget it: every lookup of a tenant model filters
by the caller's company, and another company's id answers exactly like an unknown id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from app.cache import Cache
from app.errors import NotFoundError
from app.invalidation import company_state_changed, policy_targets_changed
from app.schemas import Page

ModelT = TypeVar("ModelT")


class TenantScoped:
    """Base for services that work on one company's data."""

    def __init__(self, session: AsyncSession, company_id: int) -> None:
        self.session = session
        self.company_id = company_id

    def scoped(self, model: type[ModelT]) -> Select[tuple[ModelT]]:
        return select(model).where(model.company_id == self.company_id)  # type: ignore[attr-defined]

    async def get_or_404(
        self,
        model: type[ModelT],
        entity_id: int,
        *,
        options: Sequence[ORMOption] = (),
        for_update: bool = False,
    ) -> ModelT:
        stmt = self.scoped(model).where(model.id == entity_id).options(*options)  # type: ignore[attr-defined]
        if for_update:
            stmt = stmt.with_for_update()
        entity = (await self.session.execute(stmt)).scalars().first()
        if entity is None:
            raise NotFoundError(f"{_label(model)} {entity_id} not found.")
        return entity

    async def paginate(self, stmt: Select[Any], limit: int, offset: int) -> Page[Any]:
        total = await self.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        rows = (await self.session.execute(stmt.limit(limit).offset(offset))).scalars().all()
        return Page(items=list(rows), total=total or 0, limit=limit, offset=offset)


class TenantWriter(TenantScoped):
    """Base for services whose writes change what the company can book (staff, hours,
    services, branches): each such write calls `bookable_changed` in its transaction, so
    no cached availability, listing or effective policy from before it is served after it
    commits."""

    def __init__(self, session: AsyncSession, company_id: int, cache: Cache) -> None:
        super().__init__(session, company_id)
        self.cache = cache

    async def bookable_changed(self) -> None:
        await company_state_changed(self.session, self.cache, self.company_id)
        # Effective policies are resolved through the same staff, services and branches.
        await policy_targets_changed(self.session, self.cache, self.company_id)


def _label(model: type[Any]) -> str:
    name = model.__name__
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip().capitalize()
