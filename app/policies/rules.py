"""DESIGN §5.4 rules 1-4 as pure functions: notice, quota and fee decide, nothing is read here."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
QUOTA_WINDOW_DAYS = 30


class Action(enum.StrEnum):
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"


class ReasonCode(enum.StrEnum):
    NO_POLICY = "no_policy"
    WITHIN_POLICY = "within_policy"
    INSUFFICIENT_NOTICE = "insufficient_notice"
    QUOTA_EXCEEDED = "quota_exceeded"


# The per-customer monthly quota key of each action.
MONTHLY_QUOTA = {
    Action.CANCEL: "max_cancellations_per_month",
    Action.RESCHEDULE: "max_reschedules_per_month",
}
PER_APPOINTMENT_QUOTA = {Action.RESCHEDULE: "max_reschedules_per_appointment"}
NOUN = {Action.CANCEL: "Cancelling", Action.RESCHEDULE: "Rescheduling"}
PLURAL = {Action.CANCEL: "cancellations", Action.RESCHEDULE: "reschedules"}


@dataclass(frozen=True)
class Usage:
    """What the customer (and the appointment) used so far; None when not counted."""

    in_window: int | None = None
    of_appointment: int | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: ReasonCode
    message: str
    fee: Decimal
    hours_notice: float


def hours_notice(starts_at: datetime, now: datetime) -> float:
    """Hours from now to the start, fractional (negative once it has started)."""
    return (starts_at - now).total_seconds() / 3600


def shown_hours(notice: float) -> float:
    """Floored to 1/100 h, so the value shown never looks like enough notice when it is not."""
    return math.floor(notice * 100) / 100


def quota_keys(action: Action, config: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The quota keys of `action` that the config sets (None where it does not)."""
    monthly = MONTHLY_QUOTA[action]
    per_appointment = PER_APPOINTMENT_QUOTA.get(action)
    return (
        monthly if config.get(monthly) is not None else None,
        per_appointment if per_appointment and config.get(per_appointment) is not None else None,
    )


def fee_for(config: Mapping[str, Any], notice: float, price: Decimal | None) -> Decimal:
    """Rule 4: the flat fee if set; else the tier with the largest min_hours not above the
    notice; else fee_percentage of the service price; else 0."""
    if config.get("fee") is not None:
        return _money(config["fee"])
    tiers = [t for t in config.get("fee_tiers") or [] if t["min_hours"] <= notice]
    if tiers:
        return _money(max(tiers, key=lambda t: t["min_hours"])["fee"])
    if config.get("fee_percentage") is not None and price is not None:
        return _money(Decimal(price) * _decimal(config["fee_percentage"]) / 100)
    return Decimal("0.00")


def decide(
    action: Action,
    config: Mapping[str, Any],
    *,
    has_policy: bool,
    notice: float,
    usage: Usage,
    price: Decimal | None,
) -> Decision:
    """Rules 1-4 in order; a refusal still names the fee that applies if staff force it."""
    shown = shown_hours(notice)
    if not has_policy:
        message = f"No {_policy_name(action)} policy applies; no fee."
        return Decision(True, ReasonCode.NO_POLICY, message, _money(0), shown)
    fee = fee_for(config, notice, price)
    hours_before = config.get("hours_before")
    if hours_before is not None and notice < hours_before:
        message = (
            f"{NOUN[action]} needs at least {_hours(hours_before)} of notice; "
            f"{_time_left(shown)}. Staff may force it{_if_forced(fee)}."
        )
        return Decision(False, ReasonCode.INSUFFICIENT_NOTICE, message, fee, shown)
    exceeded = _quota_exceeded(action, config, usage)
    if exceeded is not None:
        message = f"{exceeded} Staff may force it{_if_forced(fee)}."
        return Decision(False, ReasonCode.QUOTA_EXCEEDED, message, fee, shown)
    fee_clause = f"the fee is {fee}" if fee else "no fee applies"
    message = f"{NOUN[action]} is allowed with {_hours(shown)} of notice; {fee_clause}."
    return Decision(True, ReasonCode.WITHIN_POLICY, message, fee, shown)


def _quota_exceeded(action: Action, config: Mapping[str, Any], usage: Usage) -> str | None:
    monthly, per_appointment = quota_keys(action, config)
    if monthly and usage.in_window is not None and usage.in_window >= config[monthly]:
        return (
            f"The customer already made {usage.in_window} {PLURAL[action]} in the last "
            f"{QUOTA_WINDOW_DAYS} days; the limit is {config[monthly]}."
        )
    if (
        per_appointment
        and usage.of_appointment is not None
        and usage.of_appointment >= config[per_appointment]
    ):
        return (
            f"This appointment was already rescheduled {_times(usage.of_appointment)}; "
            f"the limit is {config[per_appointment]}."
        )
    return None


def _policy_name(action: Action) -> str:
    return "cancellation" if action is Action.CANCEL else "reschedule"


def _hours(value: float) -> str:
    number = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{number} hour" if number == "1" else f"{number} hours"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _time_left(shown: float) -> str:
    if shown < 0:
        return f"the appointment started {_hours(-shown)} ago"
    return f"the appointment starts in {_hours(shown)}"


def _if_forced(fee: Decimal) -> str:
    return f" with a fee of {fee}" if fee else ""


def _decimal(value: Any) -> Decimal:
    # str() first: JSON numbers arrive as floats, and Decimal(0.1) is not 0.10.
    return Decimal(str(value))


def _money(value: Any) -> Decimal:
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
