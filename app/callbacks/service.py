"""Callback requests: taking one (or merging it into the caller's open one), the queue, and
every status change. The one writer of callback requests besides the escalation job
(`escalation.py`), which shares its target rule and lock order from here.

A new request fires the listeners (`callback_request_received`) in its transaction; a merge
does not.

Locks (MariaDB; on SQLite every transaction already holds the write lock). Two requests for
the same phone at once cannot both be created: taking a request locks the company's row, so
the second waits and then finds the first to merge into. Every path takes its locks in one
order, the order a booking takes them (staff row, then the company row through the foreign
key of what it inserts), so none can deadlock another: first the tenancy rows a write will
reference (shared), then the company row, then callback rows. Inserting a row with a
foreign key takes a shared lock on the parent, which is why those are taken up front.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.callbacks import rules
from app.callbacks.errors import InvalidStatusTransitionError
from app.callbacks.models import (
    CallbackEscalation,
    CallbackRequest,
    CallbackStatus,
    EscalationReason,
)
from app.callbacks.schemas import (
    CallbackCreate,
    CallbackFilters,
    CallbackRead,
    EscalationRead,
    TimeWindow,
    TimeWindowRead,
)
from app.db import utcnow
from app.e164 import normalise_phone
from app.errors import ValidationFailedError
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.company_settings import CompanySettings
from app.tenancy.models import Branch, Company, Customer, Service, Staff
from app.tenancy.zones import zone_of

RECEIVED = "callback_request_received"


class CallbackListener(Protocol):
    """Told about a new callback request in its transaction (e.g. the notification outbox)."""

    async def __call__(
        self, session: AsyncSession, callback: CallbackRequest, event: str
    ) -> None: ...


class CallbackService(TenantScoped):
    def __init__(
        self,
        session: AsyncSession,
        company_id: int,
        *,
        clock: Callable[[], datetime] = utcnow,
        default_region: str = "DE",
        listeners: Sequence[CallbackListener] = (),
    ) -> None:
        super().__init__(session, company_id)
        self.clock = clock
        self.default_region = default_region
        self.listeners = listeners

    # --- taking a request ------------------------------------------------------------------

    async def request(self, data: CallbackCreate) -> tuple[CallbackRequest, bool]:
        """A new request, or the caller's open one (pending or assigned, at most 30 minutes
        old) with this one merged into it: priority raised to the higher (deadline recomputed
        from its creation), reason and notes appended, fields it lacked filled in. The bool
        says whether it was merged."""
        company = await self.session.get(Company, self.company_id)  # the key's company
        assert company is not None
        settings = CompanySettings.from_stored(company.settings)
        phone = normalise_phone(
            data.phone, settings.region(self.default_region), field="body.phone"
        )
        refs = await self._references(data)
        branch = await self._branch_for(refs)
        window = _window(data.preferred_time_window, zone_of(branch, company))
        customer = refs.get("customer") or await self._customer_by_phone(phone)
        name = data.customer_name or (customer.name if customer is not None else None)
        # The serialisation point: of two requests for one phone, the second waits here.
        await lock_company(self.session, self.company_id)
        now = self.clock()
        existing = await self._open_for_phone(phone, now)
        if existing is not None:
            self._merge(existing, data, settings, customer, name, window)
            await self.session.flush()
            return existing, True

        callback = CallbackRequest(
            company_id=self.company_id,
            branch_id=branch.id,
            service_id=data.service_id,
            staff_id=data.staff_id,
            customer_id=customer.id if customer is not None else None,
            phone=phone,
            customer_name=name,
            preferred_time_window=window,
            priority=data.priority,
            status=CallbackStatus.PENDING,
            attempts=0,
            expires_at=now + rules.sla(settings, data.priority),
            notes=rules.append_note(None, data.reason, data.notes),
            created_at=now,
            updated_at=now,
        )
        self.session.add(callback)
        await self.session.flush()
        for listener in self.listeners:
            await listener(self.session, callback, RECEIVED)
        return callback, False

    def _merge(
        self,
        existing: CallbackRequest,
        data: CallbackCreate,
        settings: CompanySettings,
        customer: Customer | None,
        name: str | None,
        window: dict[str, str] | None,
    ) -> None:
        raised = rules.higher(existing.priority, data.priority)
        if raised != existing.priority:
            existing.priority = raised
            existing.expires_at = existing.created_at + rules.sla(settings, raised)
        existing.notes = rules.append_note(existing.notes, data.reason, data.notes)
        fills: dict[str, Any] = {
            "customer_id": customer.id if customer is not None else None,
            "customer_name": name,
            "service_id": data.service_id,
            "staff_id": data.staff_id,
            "preferred_time_window": window,
        }
        for field, value in fills.items():
            if getattr(existing, field) is None and value is not None:
                setattr(existing, field, value)

    # --- reads -----------------------------------------------------------------------------

    async def get(self, callback_id: int) -> CallbackRequest:
        return await self.get_or_404(CallbackRequest, callback_id)

    async def list(self, filters: CallbackFilters) -> Page[Any]:
        """Open work first by deadline: ordered by `expires_at`, then id."""
        stmt = self.scoped(CallbackRequest).order_by(CallbackRequest.expires_at, CallbackRequest.id)
        if filters.status is not None:
            stmt = stmt.where(CallbackRequest.status == filters.status)
        if filters.priority is not None:
            stmt = stmt.where(CallbackRequest.priority == filters.priority)
        if filters.assigned_to is not None:
            stmt = stmt.where(CallbackRequest.assigned_to == filters.assigned_to)
        if filters.branch_id is not None:
            stmt = stmt.where(CallbackRequest.branch_id == filters.branch_id)
        if filters.overdue is not None:
            overdue = and_(
                CallbackRequest.status.in_(rules.OPEN),
                CallbackRequest.expires_at <= self.clock(),
            )
            stmt = stmt.where(overdue if filters.overdue else not_(overdue))
        return await self.paginate(stmt, filters.limit, filters.offset)

    async def escalations_of(self, callback_ids: Sequence[int]) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {callback_id: [] for callback_id in callback_ids}
        if not callback_ids:
            return found
        stmt = (
            self.scoped(CallbackEscalation)
            .where(CallbackEscalation.callback_request_id.in_(list(callback_ids)))
            .order_by(CallbackEscalation.escalated_at, CallbackEscalation.id)
        )
        for escalation in (await self.session.execute(stmt)).scalars():
            found[escalation.callback_request_id].append(escalation)
        return found

    async def present(self, callback: CallbackRequest, *, merged: bool = False) -> CallbackRead:
        escalations = await self.escalations_of([callback.id])
        return self._read(callback, escalations[callback.id], merged)

    async def present_page(self, page: Page[Any]) -> Page[CallbackRead]:
        escalations = await self.escalations_of([callback.id for callback in page.items])
        items = [self._read(item, escalations[item.id], False) for item in page.items]
        return Page(items=items, total=page.total, limit=page.limit, offset=page.offset)

    def _read(
        self, callback: CallbackRequest, escalations: list[Any], merged: bool
    ) -> CallbackRead:
        window = callback.preferred_time_window
        return CallbackRead(
            id=callback.id,
            status=callback.status,
            priority=callback.priority,
            phone=callback.phone,
            customer_name=callback.customer_name,
            customer_id=callback.customer_id,
            branch_id=callback.branch_id,
            service_id=callback.service_id,
            staff_id=callback.staff_id,
            assigned_to=callback.assigned_to,
            assigned_at=callback.assigned_at,
            contacted_at=callback.contacted_at,
            completed_at=callback.completed_at,
            attempts=callback.attempts,
            preferred_time_window=TimeWindowRead.model_validate(window) if window else None,
            notes=callback.notes,
            expires_at=callback.expires_at,
            overdue=rules.is_overdue(callback.status, callback.expires_at, self.clock()),
            merged=merged,
            escalations=[EscalationRead.model_validate(item) for item in escalations],
            created_at=callback.created_at,
            updated_at=callback.updated_at,
        )

    # --- status changes --------------------------------------------------------------------

    async def assign(self, callback_id: int, staff_id: int) -> CallbackRequest:
        callback = await self._for("assign", callback_id)
        staff = await self._active_staff(staff_id, "body.staff_id")
        self._assign(callback, staff.id)
        await self.session.flush()
        return callback

    async def contacted(self, callback_id: int, notes: str | None = None) -> CallbackRequest:
        """One more attempt to reach the caller; the request stays open (`contacted`)."""
        callback = await self._for("contacted", callback_id)
        callback.status = CallbackStatus.CONTACTED
        callback.attempts = (callback.attempts or 0) + 1
        callback.contacted_at = self.clock()
        callback.notes = rules.append_note(callback.notes, notes)
        await self.session.flush()
        return callback

    async def complete(self, callback_id: int, notes: str | None = None) -> CallbackRequest:
        callback = await self._for("complete", callback_id)
        callback.status = CallbackStatus.COMPLETED
        callback.completed_at = self.clock()
        callback.notes = rules.append_note(callback.notes, notes)
        await self._resolve_escalations(callback, "completed")
        await self.session.flush()
        return callback

    async def cancel(self, callback_id: int, reason: str | None = None) -> CallbackRequest:
        callback = await self._for("cancel", callback_id)
        callback.status = CallbackStatus.CANCELLED
        callback.notes = rules.append_note(
            callback.notes, f"Cancelled: {reason}" if reason else None
        )
        await self._resolve_escalations(callback, "cancelled")
        await self.session.flush()
        return callback

    async def escalate(
        self, callback_id: int, reason: str | None = None, to_staff_id: int | None = None
    ) -> CallbackRequest:
        """A manual escalation: recorded, and the request handed to `to_staff_id` when
        given. Counts as the latest escalation for the job's once-per-SLA rule."""
        # The escalation row references the company, the assignee and the target.
        await share_staff(self.session, self.company_id)
        await share_company(self.session, self.company_id)
        callback = await self._for("escalate", callback_id)
        target = None
        if to_staff_id is not None:
            target = (await self._active_staff(to_staff_id, "body.to_staff_id")).id
        now = self.clock()
        self.session.add(
            CallbackEscalation(
                company_id=self.company_id,
                callback_request_id=callback.id,
                escalation_reason=EscalationReason.MANUAL_ESCALATION,
                escalated_from=callback.assigned_to,
                escalated_to=target,
                escalated_at=now,
            )
        )
        if target is not None:
            self._assign(callback, target)
        callback.notes = rules.append_note(
            callback.notes, f"Escalated: {reason}" if reason else None
        )
        await self.session.flush()
        return callback

    # --- internals -------------------------------------------------------------------------

    async def _for(self, action: rules.Action, callback_id: int) -> CallbackRequest:
        # Locked: a concurrent change (or the escalation job) waits, then sees the new status.
        callback = await self.get_or_404(CallbackRequest, callback_id, for_update=True)
        if not rules.can(action, callback.status):
            allowed = " or ".join(sorted(rules.ALLOWED_FROM[action]))
            raise InvalidStatusTransitionError(
                f"Callback request {callback_id} is {callback.status}; `{action}` is possible "
                f"only from {allowed}.",
                current_status=str(callback.status),
            )
        return callback

    def _assign(self, callback: CallbackRequest, staff_id: int) -> None:
        callback.status = CallbackStatus.ASSIGNED
        callback.assigned_to = staff_id
        callback.assigned_at = self.clock()

    async def _resolve_escalations(self, callback: CallbackRequest, how: str) -> None:
        stmt = self.scoped(CallbackEscalation).where(
            CallbackEscalation.callback_request_id == callback.id,
            CallbackEscalation.resolved_at.is_(None),
        )
        now = self.clock()
        for escalation in (await self.session.execute(stmt)).scalars():
            escalation.resolved_at = now
            escalation.resolution_notes = how

    async def _open_for_phone(self, phone: str, now: datetime) -> CallbackRequest | None:
        stmt = (
            self.scoped(CallbackRequest)
            .where(
                CallbackRequest.phone == phone,
                CallbackRequest.status.in_(rules.MERGEABLE),
                CallbackRequest.created_at >= now - rules.MERGE_WINDOW,
            )
            .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
            .limit(1)
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def _references(self, data: CallbackCreate) -> dict[str, Any]:
        """The body's ids, each one of this company's (another company's id answers 422 like
        an unknown one), checked against each other."""
        found: dict[str, Any] = {}
        for field, model in (
            ("branch_id", Branch),
            ("staff_id", Staff),
            ("service_id", Service),
            ("customer_id", Customer),
        ):
            entity_id = getattr(data, field)
            if entity_id is None:
                continue
            stmt = self.scoped(model).where(model.id == entity_id)  # type: ignore[attr-defined]
            entity = (await self.session.execute(_shared(stmt))).scalars().first()
            if entity is None:
                label = field.removesuffix("_id")
                raise ValidationFailedError(f"body.{field}", f"{label} {entity_id} not found")
            found[field.removesuffix("_id")] = entity
        branch, staff, service = found.get("branch"), found.get("staff"), found.get("service")
        if branch is not None and staff is not None and staff.branch_id != branch.id:
            raise ValidationFailedError(
                "body.staff_id", f"staff member {staff.id} works at another branch"
            )
        where = branch.id if branch is not None else (staff.branch_id if staff else None)
        if service is not None and service.branch_id not in (None, where):
            raise ValidationFailedError(
                "body.service_id", f"service {service.id} is offered at another branch"
            )
        return found

    async def _branch_for(self, refs: dict[str, Any]) -> Branch:
        if "branch" in refs:
            return refs["branch"]
        stmt = self.scoped(Branch)
        if "staff" in refs:
            stmt = stmt.where(Branch.id == refs["staff"].branch_id)
        elif (service := refs.get("service")) is not None and service.branch_id is not None:
            stmt = stmt.where(Branch.id == service.branch_id)
        else:
            stmt = stmt.where(Branch.is_active.is_(True)).order_by(Branch.id).limit(1)
        branch = (await self.session.execute(_shared(stmt))).scalars().first()
        if branch is None:
            raise ValidationFailedError(
                "body.branch_id", "required: the company has no active branch to default to"
            )
        return branch

    async def _customer_by_phone(self, phone: str) -> Customer | None:
        stmt = self.scoped(Customer).where(Customer.phone == phone).limit(1)
        return (await self.session.execute(_shared(stmt))).scalars().first()

    async def _active_staff(self, staff_id: int, field: str) -> Staff:
        # Shared: the row is referenced by what is written next (lock order, above).
        stmt = self.scoped(Staff).where(Staff.id == staff_id)
        staff = (await self.session.execute(_shared(stmt))).scalars().first()
        if staff is None:
            raise ValidationFailedError(field, f"staff member {staff_id} not found")
        if not staff.is_active:
            raise ValidationFailedError(field, f"staff member {staff_id} is inactive")
        return staff


async def escalation_target(
    session: AsyncSession,
    company_id: int,
    settings: CompanySettings,
    callback: CallbackRequest,
) -> int | None:
    """Who an overdue request goes to: the company's `callback_escalation_staff_id` when that
    staff member is one of its own and active; else another active staff member of the
    request's branch (not the current assignee; the lowest id); else nobody."""
    designated = settings.callback_escalation_staff_id
    if designated is not None:
        stmt = select(Staff.id).where(
            Staff.company_id == company_id, Staff.id == designated, Staff.is_active.is_(True)
        )
        if await session.scalar(stmt) is not None:
            return designated
    stmt = (
        select(Staff.id)
        .where(
            Staff.company_id == company_id,
            Staff.branch_id == callback.branch_id,
            Staff.is_active.is_(True),
        )
        .order_by(Staff.id)
        .limit(1)
    )
    if callback.assigned_to is not None:
        stmt = stmt.where(Staff.id != callback.assigned_to)
    return await session.scalar(stmt)


def _shared(stmt: Select[Any]) -> Select[Any]:
    return stmt.with_for_update(read=True)


async def share_staff(session: AsyncSession, company_id: int) -> None:
    """Share-lock every staff row of the company: an escalation may reference any of them
    (its current assignee, whoever it goes to)."""
    stmt = select(Staff.id).where(Staff.company_id == company_id).order_by(Staff.id)
    await session.execute(_shared(stmt))


async def share_company(session: AsyncSession, company_id: int) -> None:
    await session.execute(_shared(select(Company.id).where(Company.id == company_id)))


async def lock_company(session: AsyncSession, company_id: int) -> None:
    stmt = select(Company.id).where(Company.id == company_id).with_for_update()
    await session.execute(stmt)


def _window(window: TimeWindow | None, zone: ZoneInfo) -> dict[str, str] | None:
    """The window as stored: UTC ISO strings, a naive moment read in `zone`."""
    if window is None:
        return None
    start, end = _in_zone(window.from_, zone), _in_zone(window.to, zone)
    if end <= start:
        raise ValidationFailedError("body.preferred_time_window.to", "must be after `from`")
    return {"from": start.isoformat(), "to": end.isoformat()}


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    return local.astimezone(UTC)
