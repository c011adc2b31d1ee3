"""Branches of a company."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.e164 import normalise_phone
from app.errors import ValidationFailedError
from app.repository import TenantScoped, TenantWriter
from app.schemas import Page
from app.tenancy.models import Branch


class BranchService(TenantWriter):
    async def create(self, data: dict[str, Any], default_region: str) -> Branch:
        if data.get("phone"):
            data["phone"] = normalise_phone(data["phone"], default_region, field="body.phone")
        branch = Branch(company_id=self.company_id, **data)
        self.session.add(branch)
        await self.session.flush()
        await self.bookable_changed()
        return branch

    async def get(self, branch_id: int) -> Branch:
        return await self.get_or_404(Branch, branch_id)

    async def list(self, limit: int, offset: int, *, is_active: bool | None = None) -> Page[Any]:
        stmt = self.scoped(Branch).order_by(Branch.id)
        if is_active is not None:
            stmt = stmt.where(Branch.is_active == is_active)
        return await self.paginate(stmt, limit, offset)

    async def update(self, branch_id: int, changes: dict[str, Any], default_region: str) -> Branch:
        branch = await self.get(branch_id)
        if changes.get("phone"):
            changes["phone"] = normalise_phone(changes["phone"], default_region, field="body.phone")
        for field, value in changes.items():
            setattr(branch, field, value)
        await self.session.flush()
        await self.bookable_changed()
        return branch

    async def deactivate(self, branch_id: int) -> None:
        """Branches are deactivated, not deleted: their appointments stay on record."""
        branch = await self.get(branch_id)
        branch.is_active = False
        await self.session.flush()
        await self.bookable_changed()


async def ensure_own_branch(scope: TenantScoped, branch_id: int | None) -> None:
    """Refuse a `branch_id` in a request body unless it is one of the caller's branches.

    Another company's branch gets the same answer as an unknown id, so ids reveal nothing.
    """
    if branch_id is None:
        return
    stmt = select(Branch.id).where(Branch.company_id == scope.company_id, Branch.id == branch_id)
    if await scope.session.scalar(stmt) is None:
        raise ValidationFailedError("body.branch_id", f"branch {branch_id} not found")
