"""Operator jobs (`python -m app.cli jobs ...`), also run by the worker: each prints its
progress and ends with one summary line; a failure says what to do next and returns 1."""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from app.calcom.errors import CalcomError
from app.calcom.reconcile import CalcomReconciler, ReconcileSummary
from app.callbacks.escalation import EscalationSummary, escalate_overdue
from app.notifications.channels import Channels
from app.notifications.dispatcher import Dispatcher, DispatchSummary
from app.ops.runtime import Runtime

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime) -> datetime:
    """`24h`, `90m`, `7d` (that long before now) or an ISO 8601 moment (UTC without an
    offset). Raises ValueError with the accepted forms."""
    if match := _RELATIVE.match(text):
        amount, unit = match.groups()
        return now - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a moment: use e.g. 24h, 90m, 7d or 2026-11-30T08:00:00Z"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def reconcile_calcom(
    runtime: Runtime,
    since: datetime,
    company_id: int | None = None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    out: Callable[[str], None] = print,
) -> int:
    """Exit code: 0 reconciled (or nothing to do), 1 Cal.com failed."""
    if runtime.calcom is None:
        out("Cal.com is not configured (CALCOM_API_KEY is unset): nothing to reconcile.")
        return 0
    out(f"Reconciling Cal.com bookings changed since {since.isoformat()} ...")
    reconciler = CalcomReconciler(
        runtime.sessionmaker,
        runtime.cache,
        runtime.calcom,
        runtime.settings.features,
        default_region=runtime.settings.default_phone_region,
        clock=clock,
        listeners=runtime.appointment_listeners,
        progress=lambda line: out(f"  {line}"),
    )
    try:
        summary: ReconcileSummary = await reconciler.run(since, company_id)
    except CalcomError as exc:
        print(
            f"error: Cal.com did not answer ({exc}). What was applied before stays applied; "
            "check CALCOM_BASE_URL, CALCOM_API_KEY and Cal.com's status, then run it again.",
            file=sys.stderr,
        )
        return 1
    out(
        f"Reconciled {summary.companies} companies, {summary.bookings_read} bookings read: "
        f"{summary.line}"
    )
    return 0


async def dispatch_notifications(
    runtime: Runtime,
    *,
    limit: int | None = None,
    out: Callable[[str], None] = print,
) -> DispatchSummary:
    """One pass: send what is due now (at most `limit`)."""
    dispatcher = Dispatcher(
        runtime.sessionmaker,
        Channels(runtime.settings, runtime.http),
        clock=runtime.clock,
        progress=lambda line: out(f"  {line}"),
    )
    summary = await dispatcher.run(limit)
    out(summary.line)
    return summary


def escalation_task(runtime: Runtime) -> Callable[[], Awaitable[object]]:
    """The callback escalation job, as the worker runs it."""

    async def escalate() -> object:
        return await escalate_overdue(runtime.sessionmaker, clock=runtime.clock)

    return escalate


async def escalate_callbacks(
    runtime: Runtime, company_id: int | None = None, *, out: Callable[[str], None] = print
) -> EscalationSummary:
    """One pass: every overdue open callback request escalated (once per SLA period)."""
    out("Escalating overdue callback requests ...")
    summary = await escalate_overdue(
        runtime.sessionmaker,
        clock=runtime.clock,
        company_id=company_id,
        progress=lambda line: out(f"  {line}"),
    )
    out(summary.line)
    return summary
