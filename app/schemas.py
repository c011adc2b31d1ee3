"""Base schema, pagination envelope and the shared, bounded field types of the API.

Every value a client sends is bounded here before it can reach the database: ids fit the
database's integer column, dates lie in a range the calendar code can add days to, time
zones are real IANA zones, and text carries no control characters.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

T = TypeVar("T")

# Ids are INTEGER columns (32-bit signed on MariaDB); a larger value can never match a row.
MAX_ID = 2**31 - 1
# Far enough either side for bookings and their history; near enough that adding a
# search window or a time zone offset can never leave the calendar.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# Zones are named Area/Location (plus UTC); legacy aliases such as "EST5EDT", "localtime"
# or a bare "Europe" are refused.
ZONE_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)
# Tab, newline and carriage return are allowed in multi-line text only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid", str_strip_whitespace=True)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(ReadSchema, Generic[T]):
    """One page of a listing; ask for the next with `offset` + `limit` while it is below
    `total`."""

    items: list[T] = Field(description="The items of this page, in the listing's order.")
    total: int = Field(description="Number of items matching the filters.", examples=[42])
    limit: int = Field(description="Page size used.", examples=[50])
    offset: int = Field(description="Items skipped before this page.", examples=[0])


class Pagination(Schema):
    limit: int = Field(
        50, ge=1, le=200, description="Page size: at most this many items (1-200, default 50)."
    )
    offset: int = Field(
        0, ge=0, le=MAX_ID, description="Items to skip before the page starts (default 0)."
    )


@lru_cache(maxsize=1)
def real_time_zones() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name == "UTC" or name.startswith(ZONE_AREAS)
    )


def _check_timezone(value: str) -> str:
    if value not in real_time_zones():
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA zone such as 'Europe/Berlin' or 'UTC'"
        )
    return value


def _in_calendar_range(day: date) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")


def _bounded_datetime(value: datetime) -> datetime:
    _in_calendar_range(value.date())
    return value


def _bounded_date(value: date) -> date:
    _in_calendar_range(value)
    return value


def _with_time(value: Any) -> Any:
    if isinstance(value, str) and _DATE_ONLY.match(value):
        raise ValueError(
            "a time is needed, e.g. '2030-01-09T14:00'; for a day's free times use "
            "GET /api/v1/availability"
        )
    return value


def _single_line(value: str) -> str:
    if _LINE_CONTROL.search(value):
        raise ValueError("must not contain control characters (tabs, line breaks, NUL)")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[
    int,
    Path(
        ge=1,
        le=MAX_ID,
        description="Id of the item the path names (a positive integer). An unknown id, or "
        "one of another company's items, answers 404.",
    ),
]
# Ids of another system (Cal.com event types, teams, users) stored in INTEGER columns.
ExternalId = Annotated[int, Field(ge=1, le=MAX_ID)]
TimeZoneName = Annotated[
    str, AfterValidator(_check_timezone), Field(examples=["Europe/Berlin"], max_length=64)
]
Line = Annotated[str, AfterValidator(_single_line)]
Text = Annotated[str, AfterValidator(_multi_line)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_single_line)]
Day = Annotated[date, AfterValidator(_bounded_date)]
AwareDatetime = Annotated[
    datetime,
    AfterValidator(_bounded_datetime),
    Field(
        description="ISO 8601; without an offset it is read in the branch's time zone (the "
        "company's when the branch has none)."
    ),
]
# A moment to book or check: a date alone is refused rather than read as midnight.
StartDatetime = Annotated[datetime, BeforeValidator(_with_time), AfterValidator(_bounded_datetime)]


class StoredJSON(str):
    """An answer kept as the JSON it was sent as the first time (validated then): served as
    those bytes, without being parsed, validated and serialised again."""

    __slots__ = ()
