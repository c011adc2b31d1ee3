"""The pure rules of callbacks: SLA deadlines, priority order, the status transitions, the
merge window and how notes grow. No I/O; the service and the escalation job apply them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from app.callbacks.models import CallbackPriority, CallbackStatus
from app.tenancy.company_settings import CompanySettings

# Minutes within which a callback of each priority must be made, unless the company's
# `settings.callback_sla_minutes` says otherwise (DESIGN §5.5).
DEFAULT_SLA_MINUTES: dict[str, int] = {
    CallbackPriority.URGENT: 60,
    CallbackPriority.HIGH: 240,
    CallbackPriority.NORMAL: 24 * 60,
}
PRIORITY_RANK: dict[str, int] = {
    CallbackPriority.NORMAL: 0,
    CallbackPriority.HIGH: 1,
    CallbackPriority.URGENT: 2,
}

# A second request for the same phone this soon after an open one is merged into it.
MERGE_WINDOW = timedelta(minutes=30)
# Requests a new one for the same phone merges into.
MERGEABLE = frozenset({CallbackStatus.PENDING, CallbackStatus.ASSIGNED})
# Requests that still need a call: they can be overdue and are escalated when they are.
OPEN = frozenset({CallbackStatus.PENDING, CallbackStatus.ASSIGNED, CallbackStatus.CONTACTED})
FINAL = frozenset({CallbackStatus.COMPLETED, CallbackStatus.CANCELLED, CallbackStatus.EXPIRED})
# Failed contact attempts from which an overdue request escalates as
# `multiple_attempts_failed` instead of `sla_breach`.
ATTEMPTS_BEFORE_GIVING_UP = 3

Action = Literal["assign", "contacted", "complete", "cancel", "escalate"]
# Which statuses each action may start from.
ALLOWED_FROM: dict[Action, frozenset[str]] = {
    "assign": frozenset({CallbackStatus.PENDING, CallbackStatus.ASSIGNED}),
    "contacted": OPEN,
    "complete": OPEN,
    "cancel": OPEN,
    "escalate": OPEN,
}

# Notes are one TEXT column; merges and transitions append to them. Beyond this many
# characters the oldest text is dropped (MariaDB's TEXT holds 65,535 bytes, 4 per character
# at worst).
MAX_NOTES = 10_000
_TRUNCATED = "…"


def sla(settings: CompanySettings, priority: str) -> timedelta:
    """How long a callback of `priority` may wait: the company's setting, else the default."""
    configured = settings.callback_sla_minutes
    minutes = getattr(configured, priority, None) if configured is not None else None
    return timedelta(minutes=minutes or DEFAULT_SLA_MINUTES[priority])


def higher(first: str, second: str) -> str:
    """The more urgent of two priorities."""
    return first if PRIORITY_RANK[first] >= PRIORITY_RANK[second] else second


def can(action: Action, status: str) -> bool:
    return status in ALLOWED_FROM[action]


def is_overdue(status: str, expires_at: datetime, now: datetime) -> bool:
    return status in OPEN and expires_at <= now


def append_note(notes: str | None, *lines: str | None) -> str | None:
    """`notes` with each non-empty line added on a line of its own, the oldest text dropped
    beyond MAX_NOTES characters."""
    parts = [part for part in (notes, *lines) if part and part.strip()]
    if not parts:
        return None
    text = "\n".join(parts)
    if len(text) > MAX_NOTES:
        text = _TRUNCATED + text[-(MAX_NOTES - len(_TRUNCATED)) :]
    return text
