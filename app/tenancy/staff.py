"""Staff members and the services each one may perform."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import ValidationFailedError
from app.repository import TenantWriter
from app.schemas import Page
from app.tenancy.branches import ensure_own_branch
from app.tenancy.models import Service, Staff, staff_services

# Every staff answer carries `service_ids`, so the collection is loaded with the row.
WITH_SERVICES = (selectinload(Staff.services),)


class StaffService(TenantWriter):
    async def create(self, data: dict[str, Any]) -> Staff:
        service_ids = data.pop("service_ids", [])
        await ensure_own_branch(self, data["branch_id"])
        staff = Staff(company_id=self.company_id, **data)
        staff.services = await self._own_services(service_ids)
        self.session.add(staff)
        await self.session.flush()
        await self.bookable_changed()
        return staff

    async def get(self, staff_id: int) -> Staff:
        return await self.get_or_404(Staff, staff_id, options=WITH_SERVICES)

    async def list(
        self,
        limit: int,
        offset: int,
        *,
        branch_id: int | None = None,
        service_id: int | None = None,
        is_active: bool | None = None,
    ) -> Page[Any]:
        stmt = self.scoped(Staff).options(*WITH_SERVICES).order_by(Staff.id)
        if branch_id is not None:
            stmt = stmt.where(Staff.branch_id == branch_id)
        if service_id is not None:
            qualified = select(staff_services.c.staff_id).where(
                staff_services.c.service_id == service_id
            )
            stmt = stmt.where(Staff.id.in_(qualified))
        if is_active is not None:
            stmt = stmt.where(Staff.is_active == is_active)
        return await self.paginate(stmt, limit, offset)

    async def update(self, staff_id: int, changes: dict[str, Any]) -> Staff:
        """Apply a partial update; `service_ids`, when sent, replaces the whole set."""
        staff = await self.get(staff_id)
        if "branch_id" in changes:
            await ensure_own_branch(self, changes["branch_id"])
        if "service_ids" in changes:
            staff.services = await self._own_services(changes.pop("service_ids"))
        for field, value in changes.items():
            setattr(staff, field, value)
        await self.session.flush()
        await self.bookable_changed()
        return staff

    async def deactivate(self, staff_id: int) -> None:
        """Staff are deactivated, not deleted: their appointments stay on record."""
        staff = await self.get_or_404(Staff, staff_id)
        staff.is_active = False
        await self.session.flush()
        await self.bookable_changed()

    async def _own_services(self, service_ids: Sequence[int]) -> list[Service]:
        wanted = list(dict.fromkeys(service_ids))
        if not wanted:
            return []
        stmt = self.scoped(Service).where(Service.id.in_(wanted))
        found = list((await self.session.execute(stmt)).scalars().all())
        missing = sorted(set(wanted) - {service.id for service in found})
        if missing:
            # Another company's service answers like an unknown one.
            raise ValidationFailedError("body.service_ids", f"unknown service ids: {missing}")
        return found
