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


LEVEL = "The level the policy is set on: `company`, `branch`, `service` or `staff`."
ENTITY = "The id of the company, branch, service or staff member the policy is set on."
POLICY_TYPE = "`cancellation`, `reschedule` or `recurring`."


class PolicyWrite(Schema):
    """The whole policy of one level; replaces what that level had."""

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
    id: int = Field(description="The policy's id.", examples=[5])
    level: PolicyLevel = Field(
        validation_alias=AliasChoices("level", "configurable_type"), description=LEVEL
    )
    entity_id: int = Field(
        validation_alias=AliasChoices("entity_id", "configurable_id"),
        description=ENTITY,
        examples=[1],
    )
    policy_type: PolicyType = Field(description=POLICY_TYPE)
    config: dict[str, Any] = Field(
        description="Only the keys this level sets, as stored (money as numbers); see PUT.",
        examples=[{"hours_before": 24, "fee": 15.0}],
    )
    is_override: bool = Field(description="Marks a deliberate override of another policy.")
    overrides_id: int | None = Field(description="The policy this one overrides; null when none.")
    created_at: datetime = Field(description="When it was first set: ISO 8601 in UTC.")
    updated_at: datetime = Field(description="When it last changed: ISO 8601 in UTC.")


class PolicyFilters(Pagination):
    level: PolicyLevel | None = Field(None, description="Only policies set on this level.")
    entity_id: Id | None = Field(
        None, description="Only policies set on this company, branch, service or staff id."
    )
    policy_type: PolicyType | None = Field(None, description="Only policies of this type.")


class EffectivePolicyQuery(Schema):
    policy_type: PolicyType = Field(description="The policy to resolve: " + POLICY_TYPE)
    staff_id: Id | None = Field(
        None, description="Include this staff member's level (the most specific)."
    )
    service_id: Id | None = Field(None, description="Include this service's level.")
    branch_id: Id | None = Field(
        None, description="Left out: the staff member's branch, else the service's own branch."
    )


class SourceRead(ReadSchema):
    level: PolicyLevel = Field(description=LEVEL)
    entity_id: int = Field(description=ENTITY, examples=[1])
    policy_id: int = Field(description="The policy that set it.", examples=[5])


class TargetRead(ReadSchema):
    company_id: int = Field(description="The company (always part of the resolution).")
    branch_id: int | None = Field(description="The branch resolved for; null when none.")
    service_id: int | None = Field(description="The service resolved for; null when none.")
    staff_id: int | None = Field(description="The staff member resolved for; null when none.")


class EffectivePolicyRead(ReadSchema):
    policy_type: PolicyType = Field(description=POLICY_TYPE)
    config: dict[str, Any] = Field(description="The merged config; empty when no level sets one.")
    sources: dict[str, SourceRead] = Field(
        description="For each key of config: the level, entity and policy that set it."
    )
    applied: list[SourceRead] = Field(description="The policies merged, company first.")
    target: TargetRead = Field(description="The entities the policy was resolved for.")


class ReasonRead(ReadSchema):
    code: Literal["no_policy", "within_policy", "insufficient_notice", "quota_exceeded"] = Field(
        description="Why, for programs: no policy of the type is set anywhere, within the "
        "policy, too little notice, or the customer's (or appointment's) quota is used up."
    )
    message: str = Field(description="One sentence saying why, for people.")


class EnforcementRead(ReadSchema):
    action: Action = Field(description="`cancel` or `reschedule`.")
    allowed: bool = Field(description="Whether the action would be accepted now without `force`.")
    reason: ReasonRead = Field(description="Why it is allowed or refused.")
    fee: Decimal = Field(
        description="Decimal as a string. When refused: the fee if staff force it anyway."
    )
    hours_notice: float = Field(
        description="Hours until the appointment starts, floored to 1/100 h; negative once "
        "it has started.",
        examples=[26.5],
    )
    policy: EffectivePolicyRead = Field(description="The effective policy the rules applied.")


class PolicyCheckQuery(Schema):
    action: Action = Field(description="The action to check: `cancel` or `reschedule`.")


class ModificationRead(ReadSchema):
    id: int = Field(description="The record's id.", examples=[9])
    appointment_id: int = Field(description="The appointment changed.", examples=[42])
    customer_id: int = Field(description="Its customer (quotas are counted per customer).")
    modification_type: Action = Field(description="`cancel` or `reschedule`.")
    within_policy: bool = Field(
        description="False when the policy would have refused it: forced by staff, or "
        "already made in Cal.com."
    )
    fee_charged: Decimal = Field(
        description="The fee that applies under the policy: a decimal string, 0.00 when none.",
        examples=["15.00"],
    )
    reason: str | None = Field(description="The reason given; null when none.")
    modified_by_type: Literal["staff", "customer", "calcom", "system"] = Field(
        description="Who made the change: `staff` (a company API key), `customer`, `calcom` "
        "(a Cal.com webhook) or `system`."
    )
    modified_by_id: str | None = Field(
        description="Which one: `api_key:<id>` for staff, the Cal.com booking uid; null when "
        "not known.",
        examples=["api_key:3"],
    )
    metadata: dict[str, Any] = Field(
        validation_alias="details",
        description="Details of the decision: `reason_code`, `hours_notice`, `policy_ids`; "
        "`forced` or `enforced: false` when outside policy; a reschedule adds `from`, `to` "
        "and `staff_id`.",
    )
    created_at: datetime = Field(description="When it happened: ISO 8601 in UTC.")


class ModificationFilters(Pagination):
    modification_type: Action | None = Field(
        None, description="Only cancellations or only reschedules; left out: both."
    )
