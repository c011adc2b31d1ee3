"""Request and response models of the tenancy API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from app.schemas import Name, ReadSchema, Schema, TimeZoneName

Language = Literal["de", "en"]


class CompanyCreate(Schema):
    name: Name = Field(examples=["Salon Schönschnitt"])
    slug: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,98}$",
        description="URL-safe id; derived from the name when left out.",
    )
    timezone: TimeZoneName = "Europe/Berlin"
    language: Language = "de"
    calcom_team_id: int | None = Field(None, ge=1)
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Company settings, e.g. `rate_limit_per_minute`, `slot_interval_minutes`, "
            "`min_notice_minutes`, `phone_region`."
        ),
    )


class CompanyUpdate(Schema):
    name: Name | None = None
    timezone: TimeZoneName | None = None
    language: Language | None = None
    calcom_team_id: int | None = Field(None, ge=1)
    settings: dict[str, Any] | None = None


class CompanyAdminUpdate(CompanyUpdate):
    is_active: bool | None = None


class CompanyRead(ReadSchema):
    id: int
    name: str
    slug: str
    timezone: str
    language: str
    calcom_team_id: int | None
    settings: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ApiKeyCreate(Schema):
    name: Name = Field(examples=["front desk app"])


class ApiKeyRead(ReadSchema):
    id: int
    company_id: int | None
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyRead):
    key: str = Field(description="The full key. It is shown only in this response; store it now.")


class BranchCreate(Schema):
    name: Name = Field(examples=["Mitte"])
    phone: str | None = Field(None, max_length=32, examples=["+49 30 1234567"])
    address: str | None = Field(None, max_length=500)
    timezone: TimeZoneName | None = Field(None, description="Defaults to the company's time zone.")


class BranchUpdate(Schema):
    name: Name | None = None
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=500)
    timezone: TimeZoneName | None = None
    is_active: bool | None = None


class BranchRead(ReadSchema):
    id: int
    company_id: int
    name: str
    phone: str | None
    address: str | None
    timezone: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
