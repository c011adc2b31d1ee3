"""The escalation job (`python -m app.cli jobs escalate-callbacks`, also run by the worker).

Every open request (pending, assigned, contacted) past its `expires_at` gets an escalation
row, `multiple_attempts_failed` after 3 or more contact attempts, else `sla_breach`, and is
assigned to the staff member `escalation_target` names (unchanged when there is nobody).
A request whose latest escalation (manual ones included) is younger than the SLA of its
priority is skipped, so it is escalated at most once per SLA period and a second run
changes nothing.

One transaction per company. Its due requests are selected FOR UPDATE SKIP LOCKED on
MariaDB: a concurrent run skips the rows this one holds, and once this one has committed it
finds their new escalation rows and skips them, so two runs escalate each request once. On
SQLite the transaction holds the write lock from its first statement, so runs take turns.
Locks follow the order of `service.py`: staff (shared), company (shared), callback rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.callbacks import rules
from app.callbacks.models import (
    CallbackEscalation,
    CallbackRequest,
    CallbackStatus,
    EscalationReason,
)
from app.callbacks.service import escalation_target, share_company, share_staff
from app.db import transaction, utcnow
from app.tenancy.company_settings import CompanySettings
from app.tenancy.models import Company

logger = logging.getLogger("app.callbacks.escalation")


@dataclass
class EscalationSummary:
    escalated: int = 0
    skipped: int = 0  # overdue, but escalated less than one SLA period ago

    @property
    def line(self) -> str:
        return f"escalated {self.escalated}, skipped {self.skipped}"


async def escalate_overdue(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    clock: Callable[[], datetime] = utcnow,
    company_id: int | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> EscalationSummary:
    """Escalate every overdue open request (of one company, or of all); see the module."""
    now = clock()
    summary = EscalationSummary()
    async with transaction(sessionmaker) as session:
        companies = list(await session.scalars(_due_companies(now, company_id)))
    for company in companies:
        async with transaction(sessionmaker) as session:
            await _escalate_company(session, company, now, summary, progress)
    logger.info(
        "callbacks.escalation_run",
        extra={"escalated": summary.escalated, "skipped": summary.skipped},
    )
    return summary


def _due_companies(now: datetime, company_id: int | None) -> Select[tuple[int]]:
    stmt = (
        select(CallbackRequest.company_id)
        .where(CallbackRequest.status.in_(rules.OPEN), CallbackRequest.expires_at <= now)
        .distinct()
        .order_by(CallbackRequest.company_id)
    )
    if company_id is not None:
        stmt = stmt.where(CallbackRequest.company_id == company_id)
    return stmt


async def _escalate_company(
    session: AsyncSession,
    company_id: int,
    now: datetime,
    summary: EscalationSummary,
    progress: Callable[[str], None],
) -> None:
    await share_staff(session, company_id)
    await share_company(session, company_id)
    company = await session.get(Company, company_id)
    if company is None:  # deleted since it was listed
        return
    settings = CompanySettings.from_stored(company.settings)
    due_stmt = (
        select(CallbackRequest)
        .where(
            CallbackRequest.company_id == company_id,
            CallbackRequest.status.in_(rules.OPEN),
            CallbackRequest.expires_at <= now,
        )
        .order_by(CallbackRequest.id)
        .with_for_update(skip_locked=True)
    )
    # Read again under the lock: a row changed since the listing is seen as it is now.
    due = list(
        (await session.execute(due_stmt.execution_options(populate_existing=True))).scalars()
    )
    if not due:
        return
    latest = await _latest_escalations(session, [callback.id for callback in due])
    for callback in due:
        last = latest.get(callback.id)
        if last is not None and now - last < rules.sla(settings, callback.priority):
            summary.skipped += 1
            continue
        reason = (
            EscalationReason.MULTIPLE_ATTEMPTS_FAILED
            if (callback.attempts or 0) >= rules.ATTEMPTS_BEFORE_GIVING_UP
            else EscalationReason.SLA_BREACH
        )
        target = await escalation_target(session, company_id, settings, callback)
        session.add(
            CallbackEscalation(
                company_id=company_id,
                callback_request_id=callback.id,
                escalation_reason=reason,
                escalated_from=callback.assigned_to,
                escalated_to=target,
                escalated_at=now,
            )
        )
        if target is not None:
            callback.status = CallbackStatus.ASSIGNED
            callback.assigned_to = target
            callback.assigned_at = now
        summary.escalated += 1
        progress(
            f"callback {callback.id} (company {company_id}): {reason}, "
            + (f"to staff {target}" if target is not None else "nobody to take it")
        )
    await session.flush()


async def _latest_escalations(
    session: AsyncSession, callback_ids: list[int]
) -> dict[int, datetime]:
    stmt = (
        select(CallbackEscalation.callback_request_id, func.max(CallbackEscalation.escalated_at))
        .where(CallbackEscalation.callback_request_id.in_(callback_ids))
        .group_by(CallbackEscalation.callback_request_id)
    )
    rows = await session.execute(stmt)
    # max() keeps the column's type: aware UTC datetimes on every backend.
    return {callback_id: moment for callback_id, moment in rows}
