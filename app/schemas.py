"""Base schema, pagination envelope and shared field types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid", str_strip_whitespace=True)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(ReadSchema, Generic[T]):
    items: list[T]
    total: int = Field(description="Number of items matching the filters.")
    limit: int
    offset: int


class Pagination(Schema):
    limit: int = Field(50, ge=1, le=200, description="Page size.")
    offset: int = Field(0, ge=0, description="Items to skip.")


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


TimeZoneName = Annotated[
    str, AfterValidator(_check_timezone), Field(examples=["Europe/Berlin"], max_length=64)
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
AwareDatetime = Annotated[
    datetime,
    Field(description="ISO 8601; without an offset it is read in the company's time zone."),
]
