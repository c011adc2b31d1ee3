"""Phone numbers callers dial; each selects a company (and optionally a branch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from app.e164 import normalise_phone
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.branches import ensure_own_branch
from app.tenancy.errors import DuplicateError
from app.tenancy.models import PhoneNumber


class PhoneNumberService(TenantScoped):
    async def create(self, data: dict[str, Any], default_region: str) -> PhoneNumber:
        data["number"] = normalise_phone(data["number"], default_region, field="body.number")
        await ensure_own_branch(self, data.get("branch_id"))
        phone_number = PhoneNumber(company_id=self.company_id, **data)
        self.session.add(phone_number)
        await self._flush_unique_number()
        return phone_number

    async def get(self, phone_number_id: int) -> PhoneNumber:
        return await self.get_or_404(PhoneNumber, phone_number_id)

    async def list(self, limit: int, offset: int, *, branch_id: int | None = None) -> Page[Any]:
        stmt = self.scoped(PhoneNumber).order_by(PhoneNumber.id)
        if branch_id is not None:
            stmt = stmt.where(PhoneNumber.branch_id == branch_id)
        return await self.paginate(stmt, limit, offset)

    async def update(
        self, phone_number_id: int, changes: dict[str, Any], default_region: str
    ) -> PhoneNumber:
        phone_number = await self.get(phone_number_id)
        if "number" in changes:
            changes["number"] = normalise_phone(
                changes["number"], default_region, field="body.number"
            )
        if "branch_id" in changes:
            await ensure_own_branch(self, changes["branch_id"])
        for field, value in changes.items():
            setattr(phone_number, field, value)
        await self._flush_unique_number()
        return phone_number

    async def delete(self, phone_number_id: int) -> None:
        phone_number = await self.get(phone_number_id)
        await self.session.delete(phone_number)
        await self.session.flush()

    async def _flush_unique_number(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            # Numbers are unique across all companies; the answer must not say whose it is.
            raise DuplicateError("This phone number is already registered.") from exc
