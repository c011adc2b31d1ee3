"""A company's settings: one typed schema, validated on every write, read with defaults.

Stored as JSON with only the keys that were set. Reading never fails: a value stored before
these rules existed and now out of range is ignored (the default applies) and logged, so a
bad row cannot lock a tenant out.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.schemas import Id

logger = logging.getLogger("app.tenancy.settings")

DEFAULT_GRID_MINUTES = 15
DEFAULT_MIN_NOTICE_MINUTES = 60
# Keys only the operator (admin key) may set: they protect the service, not the tenant.
OPERATOR_KEYS = frozenset({"rate_limit_per_minute"})

Minutes = Annotated[int, Field(ge=1, le=60 * 24 * 30)]


class CallbackSla(BaseModel):
    """Minutes within which a callback of each priority must be made."""

    model_config = ConfigDict(extra="forbid")

    urgent: Minutes | None = Field(None, description="Default 60.", examples=[30])
    high: Minutes | None = Field(None, description="Default 240.", examples=[120])
    normal: Minutes | None = Field(None, description="Default 1440.", examples=[720])


class CompanySettings(BaseModel):
    """A company's booking rules and operator settings. Every key is optional: a key not set
    has the default its description names."""

    model_config = ConfigDict(extra="forbid")

    slot_interval_minutes: int | None = Field(
        None,
        ge=5,
        le=240,
        description="Booking grid in minutes (default 15); must divide a day evenly.",
        examples=[15],
    )
    min_notice_minutes: int | None = Field(
        None,
        ge=0,
        le=60 * 24 * 90,
        description="How long before its start a slot may still be booked (default 60).",
        examples=[60],
    )
    phone_region: str | None = Field(
        None,
        description="ISO 3166 region national phone numbers are read in (default: the "
        "service's, usually DE).",
        examples=["AT"],
    )
    callback_sla_minutes: CallbackSla | None = Field(
        None, description="Callback deadlines per priority."
    )
    callback_escalation_staff_id: Id | None = Field(
        None, description="Staff member overdue callbacks are escalated to.", examples=[1]
    )
    rate_limit_per_minute: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Requests per minute for this company (default: the service's limit). "
        "Operator only (admin key).",
        examples=[600],
    )

    @field_validator("slot_interval_minutes")
    @classmethod
    def _divides_a_day(cls, value: int | None) -> int | None:
        if value is not None and (24 * 60) % value:
            raise ValueError("must divide a day evenly (e.g. 5, 10, 15, 20, 30, 60)")
        return value

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r}: use an ISO 3166 code such as 'DE'")
        return value.upper() if value is not None else None

    @classmethod
    def from_stored(cls, raw: Any) -> CompanySettings:
        """The stored settings, dropping (and logging) any value that is no longer valid."""
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            logger.warning("company.settings_ignored", extra={"keys": sorted(bad)})
            kept = {key: value for key, value in raw.items() if key not in bad}
            try:
                return cls.model_validate(kept)
            except ValidationError:
                return cls()

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @property
    def grid_minutes(self) -> int:
        return self.slot_interval_minutes or DEFAULT_GRID_MINUTES

    @property
    def min_notice(self) -> timedelta:
        minutes = self.min_notice_minutes
        return timedelta(minutes=DEFAULT_MIN_NOTICE_MINUTES if minutes is None else minutes)

    def region(self, default_region: str) -> str:
        return self.phone_region or default_region


def merge_settings(current: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7396) of stored settings: a key sent replaces, `null` removes."""
    merged = dict(current) if isinstance(current, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged
