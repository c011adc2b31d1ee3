"""The services a company offers (its catalogue), including processing-time phases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.cache import Cache
from app.errors import ValidationFailedError
from app.invalidation import GenerationCache, cached_response, company_state_cache
from app.repository import TenantWriter
from app.schemas import Page, StoredJSON
from app.tenancy.branches import ensure_own_branch
from app.tenancy.errors import DuplicateError
from app.tenancy.models import Service
from app.tenancy.processing_time import processing_time_errors
from app.tenancy.schemas import ServiceQuery, ServiceRead

PHASE_FIELDS = ("initial_duration", "processing_duration", "final_duration")
# The fields the processing-time rule reads; a PATCH is checked against all of them.
RULE_FIELDS = ("duration_minutes", "has_processing_time", *PHASE_FIELDS)


def service_listings(cache: Cache, company_id: int) -> GenerationCache:
    """A company's service listings as sent, stale after any change to its services."""
    return company_state_cache(cache, company_id, "services")


def check_processing_time(values: Mapping[str, Any]) -> None:
    """DESIGN §5.1, checked on the merged values; phase values of other services are ignored."""
    if not values.get("has_processing_time"):
        return
    errors = processing_time_errors(
        values["duration_minutes"], *(values.get(field) for field in PHASE_FIELDS)
    )
    if errors:
        field, reason = errors[0]
        raise ValidationFailedError(f"body.{field}", reason)


def _event_type_taken(event_type_id: int | None) -> DuplicateError:
    return DuplicateError(
        f"Cal.com event type {event_type_id} is already linked to a service; an event type "
        "can be booked through one service only.",
        field="body.calcom_event_type_id",
    )


class CatalogService(TenantWriter):
    async def create(self, data: dict[str, Any]) -> Service:
        await ensure_own_branch(self, data.get("branch_id"))
        check_processing_time(data)
        await self._check_event_type(data.get("calcom_event_type_id"), None)
        service = Service(company_id=self.company_id, **data)
        self.session.add(service)
        await self._flush_unique(service)
        await self.bookable_changed()
        return service

    async def get(self, service_id: int) -> Service:
        return await self.get_or_404(Service, service_id)

    async def list(
        self,
        limit: int,
        offset: int,
        *,
        branch_id: int | None = None,
        is_active: bool | None = None,
    ) -> Page[Any]:
        stmt = self.scoped(Service).order_by(Service.id)
        if branch_id is not None:
            stmt = stmt.where(Service.branch_id == branch_id)
        if is_active is not None:
            stmt = stmt.where(Service.is_active == is_active)
        return await self.paginate(stmt, limit, offset)

    async def list_response(self, query: ServiceQuery) -> StoredJSON:
        """`list` as the response's JSON, kept under the company's generation (any change to
        a service bumps it), so a repeated listing is served without a query."""
        copies = service_listings(self.cache, self.company_id)

        async def page() -> Page[ServiceRead]:
            found = await self.list(
                query.limit, query.offset, branch_id=query.branch_id, is_active=query.is_active
            )
            items = [ServiceRead.model_validate(service) for service in found.items]
            return Page(items=items, total=found.total, limit=found.limit, offset=found.offset)

        return await cached_response(copies, query.model_dump_json(), page)

    async def update(self, service_id: int, changes: dict[str, Any]) -> Service:
        """Apply a partial update; the processing-time rule is checked on the merged result."""
        service = await self.get(service_id)
        if "branch_id" in changes:
            await ensure_own_branch(self, changes["branch_id"])
        check_processing_time({field: getattr(service, field) for field in RULE_FIELDS} | changes)
        if "calcom_event_type_id" in changes:
            await self._check_event_type(changes["calcom_event_type_id"], service.id)
        for field, value in changes.items():
            setattr(service, field, value)
        await self._flush_unique(service)
        await self.bookable_changed()
        return service

    async def _check_event_type(self, event_type_id: int | None, service_id: int | None) -> None:
        """A Cal.com event type is booked through one service (of any company): its
        webhooks must route to exactly one tenant. Whose it is, is never said."""
        if event_type_id is None:
            return
        stmt = select(Service.id).where(Service.calcom_event_type_id == event_type_id)
        if service_id is not None:
            stmt = stmt.where(Service.id != service_id)
        if await self.session.scalar(stmt) is not None:
            raise _event_type_taken(event_type_id)

    async def _flush_unique(self, service: Service) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a concurrent claim of the same event type
            raise _event_type_taken(service.calcom_event_type_id) from exc

    async def deactivate(self, service_id: int) -> None:
        """Services are deactivated, not deleted: booked appointments still refer to them."""
        service = await self.get(service_id)
        service.is_active = False
        await self.session.flush()
        await self.bookable_changed()
