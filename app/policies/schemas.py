"""Request and response models of policy configuration, enforcement and modifications."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, Field

from app.policies.models import PolicyLevel, PolicyType
from app.policies.rules import Action
from app.schemas import Id, Pagination, ReadSchema, Schema

CONFIG_DESCRIPTION = """Only the keys this level sets; a key left out is inherited from the
level above, a key set to `null` clears the inherited value.

- cancellation: `hours_before`, `fee`, `fee_percentage` (0-100), `fee_tiers`
  (`[{min_hours, fee}]`, sorted, no two with the same `min_hours`),
  `max_cancellations_per_month`
- reschedule: `hours_before`, `fee`, `fee_tiers`, `max_reschedules_per_appointment`,
  `max_reschedules_per_month`
- recurring: `allowed_frequencies` (`daily`, `weekly`, `biweekly`, `monthly`),
  `max_occurrences`, `max_horizon_days`

Hours and fees are never negative; monthly quotas count the rolling 30 days."""


class PolicyWrite(Schema):
    config: dict[str, Any] = Field(description=CONFIG_DESCRIPTION)
    is_override: bool | None = Field(
        None, description="Marks a deliberate override; defaults to whether overrides_id is set."
    )
    overrides_id: Id | None = Field(
        None, description="The policy (same company and type) this one overrides; no cycles."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "config": {
                        "hours_before": 24,
                        "fee_tiers": [{"min_hours": 24, "fee": 10}, {"min_hours": 48, "fee": 0}],
                        "max_cancellations_per_month": 3,
                    }
                }
            ]
        }
    }


class PolicyRead(ReadSchema):
    id: int
    level: PolicyLevel = Field(validation_alias=AliasChoices("level", "configurable_type"))
    entity_id: int = Field(validation_alias=AliasChoices("entity_id", "configurable_id"))
    policy_type: PolicyType
    config: dict[str, Any]
    is_override: bool
    overrides_id: int | None
    created_at: datetime
    updated_at: datetime


class PolicyFilters(Pagination):
    level: PolicyLevel | None = None
    entity_id: Id | None = None
    policy_type: PolicyType | None = None


class EffectivePolicyQuery(Schema):
    policy_type: PolicyType
    staff_id: Id | None = None
    service_id: Id | None = None
    branch_id: Id | None = Field(
        None, description="Left out: the staff member's branch, else the service's own branch."
    )


class SourceRead(ReadSchema):
    level: PolicyLevel
    entity_id: int
    policy_id: int


class TargetRead(ReadSchema):
    company_id: int
    branch_id: int | None
    service_id: int | None
    staff_id: int | None


class EffectivePolicyRead(ReadSchema):
    policy_type: PolicyType
    config: dict[str, Any] = Field(description="The merged config; empty when no level sets one.")
    sources: dict[str, SourceRead] = Field(
        description="For each key of config: the level, entity and policy that set it."
    )
    applied: list[SourceRead] = Field(description="The policies merged, company first.")
    target: TargetRead = Field(description="The entities the policy was resolved for.")


class ReasonRead(ReadSchema):
    code: Literal["no_policy", "within_policy", "insufficient_notice", "quota_exceeded"]
    message: str = Field(description="One sentence saying why, for people.")


class EnforcementRead(ReadSchema):
    action: Action
    allowed: bool
    reason: ReasonRead
    fee: Decimal = Field(
        description="Decimal as a string. When refused: the fee if staff force it anyway."
    )
    hours_notice: float = Field(description="Hours until the appointment starts, floored.")
    policy: EffectivePolicyRead


class PolicyCheckQuery(Schema):
    action: Action


class ModificationRead(ReadSchema):
    id: int
    appointment_id: int
    customer_id: int
    modification_type: Action
    within_policy: bool
    fee_charged: Decimal = Field(description="Decimal as a string.")
    reason: str | None
    modified_by_type: Literal["staff", "customer", "calcom", "system"]
    modified_by_id: str | None
    metadata: dict[str, Any] = Field(validation_alias="details")
    created_at: datetime


class ModificationFilters(Pagination):
    modification_type: Action | None = None
