"""The keys each policy type accepts, their types and ranges, and the one validation entry.

A level stores only the keys it sets: a key left out is inherited from the level above,
and a key set to `null` clears what the level above set (rule 4 then skips it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationError

from app.errors import DomainError
from app.policies.models import PolicyType

# Money is validated as a Decimal (no float rounding on input) and stored as a JSON number,
# so a config reads back the way it was written.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=10, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Percentage = Annotated[
    Decimal,
    Field(ge=0, le=100, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Hours = Annotated[float, Field(ge=0, le=24 * 365, strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1000, strict=True)]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeeTier(_Config):
    min_hours: Hours = Field(
        description="The tier applies from this much notice (hours) upwards.", examples=[24]
    )
    fee: Money = Field(description="Fee of this tier, in the company's currency.", examples=[10])


class CancellationConfig(_Config):
    hours_before: Hours | None = Field(
        None, description="Minimum notice in hours; less is refused unless staff force it."
    )
    fee: Money | None = Field(None, description="Flat fee; when set, tiers are not consulted.")
    fee_percentage: Percentage | None = Field(
        None, description="Percent of the service price, when neither fee nor a tier applies."
    )
    fee_tiers: list[FeeTier] | None = Field(
        None,
        description="Sorted by min_hours; the tier with the largest min_hours not above "
        "the notice applies.",
    )
    max_cancellations_per_month: Count | None = Field(
        None, description="Cancellations per customer in the rolling 30 days."
    )


class RescheduleConfig(_Config):
    hours_before: Hours | None = Field(
        None, description="Minimum notice in hours; less is refused unless staff force it."
    )
    fee: Money | None = Field(None, description="Flat fee; when set, tiers are not consulted.")
    fee_tiers: list[FeeTier] | None = Field(
        None,
        description="Sorted by min_hours; the tier with the largest min_hours not above "
        "the notice applies.",
    )
    max_reschedules_per_appointment: Count | None = Field(
        None, description="How often one appointment may be rescheduled."
    )
    max_reschedules_per_month: Count | None = Field(
        None, description="Reschedules per customer in the rolling 30 days."
    )


Frequency = Literal["daily", "weekly", "biweekly", "monthly"]


class RecurringConfig(_Config):
    """Limits for recurring series. Stored, merged and resolved like the other types; no
    endpoint books series yet, so nothing enforces them."""

    allowed_frequencies: list[Frequency] | None = Field(
        None,
        min_length=1,
        description="Frequencies a series may repeat at; no value twice.",
        examples=[["weekly", "biweekly"]],
    )
    max_occurrences: Annotated[int, Field(ge=1, le=520, strict=True)] | None = Field(
        None, description="Most appointments one series may have."
    )
    max_horizon_days: Annotated[int, Field(ge=1, le=3660, strict=True)] | None = Field(
        None, description="How many days ahead a series may reach."
    )


CONFIG_MODELS: dict[str, type[_Config]] = {
    PolicyType.CANCELLATION: CancellationConfig,
    PolicyType.RESCHEDULE: RescheduleConfig,
    PolicyType.RECURRING: RecurringConfig,
}


class InvalidPolicyConfigError(DomainError):
    status, type, title = 422, "validation-error", "Validation failed"

    def __init__(self, errors: list[dict[str, str]]):
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        super().__init__(detail, errors=errors)


def validate_config(policy_type: str, config: Any, *, field: str = "body.config") -> dict[str, Any]:
    """The config as stored (only the keys sent), or InvalidPolicyConfigError naming each field.

    Field paths use the same dotted form as every other validation error of the API
    (`body.config.fee_tiers.1.min_hours`).
    """
    model = CONFIG_MODELS[policy_type]
    try:
        parsed = model.model_validate(config)
    except ValidationError as exc:
        raise InvalidPolicyConfigError(
            [
                {"field": ".".join([field, *map(str, err["loc"])]), "reason": err["msg"]}
                for err in exc.errors()
            ]
        ) from None
    errors = _tier_errors(getattr(parsed, "fee_tiers", None), field)
    if getattr(parsed, "allowed_frequencies", None):
        frequencies = parsed.allowed_frequencies  # type: ignore[attr-defined]
        if len(set(frequencies)) != len(frequencies):
            errors.append(
                {"field": f"{field}.allowed_frequencies", "reason": "must not repeat a value"}
            )
    if errors:
        raise InvalidPolicyConfigError(errors)
    return parsed.model_dump(mode="json", exclude_unset=True)


def _tier_errors(tiers: list[FeeTier] | None, field: str) -> list[dict[str, str]]:
    """Tiers must be sorted by min_hours with no two starting at the same notice: each tier
    then covers [its min_hours, the next tier's), so no notice falls into two tiers."""
    errors = []
    for index, (previous, tier) in enumerate(zip(tiers or [], (tiers or [])[1:], strict=False)):
        if tier.min_hours <= previous.min_hours:
            errors.append(
                {
                    "field": f"{field}.fee_tiers.{index + 1}.min_hours",
                    "reason": f"must be greater than the previous tier's min_hours "
                    f"({previous.min_hours:g}): tiers are sorted and must not overlap",
                }
            )
    return errors
