"""Request and response models of the tenancy API."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
)

from app.schemas import (
    AwareDatetime,
    ExternalId,
    Id,
    Line,
    Name,
    Pagination,
    ReadSchema,
    Schema,
    Text,
    TimeZoneName,
)
from app.tenancy.company_settings import CompanySettings

Language = Literal["de", "en"]
Email = Annotated[EmailStr, Field(max_length=254, examples=["anna@example.com"])]
Phone = Annotated[Line, Field(min_length=3, max_length=32)]


def _not_null(value: object) -> object:
    # PATCH bodies may leave a field out, but an explicit null on a required column would
    # only fail later in the database.
    if value is None:
        raise ValueError("may not be null")
    return value


def _whole_minutes(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a local wall-clock time without an offset")
    if value.second or value.microsecond:
        raise ValueError("use whole minutes (HH:MM)")
    return value


ClockTime = Annotated[
    time,
    AfterValidator(_whole_minutes),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    Field(description="Local wall-clock time, `HH:MM`.", examples=["09:00"]),
]


class CompanyCreate(Schema):
    name: Name = Field(examples=["Salon Schönschnitt"])
    slug: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,98}$",
        description="URL-safe id; derived from the name when left out.",
    )
    timezone: TimeZoneName = "Europe/Berlin"
    language: Language = "de"
    calcom_team_id: ExternalId | None = Field(
        None,
        description="The Cal.com team whose bookings belong to this company (one company "
        "per team).",
    )
    settings: CompanySettings = Field(default_factory=CompanySettings)


class CompanyUpdate(Schema):
    name: Name | None = None
    timezone: TimeZoneName | None = None
    language: Language | None = None
    calcom_team_id: ExternalId | None = Field(
        None, description="Null unlinks the company from its Cal.com team."
    )
    settings: CompanySettings | None = Field(
        None,
        description="Merged into the stored settings: a key sent replaces its value, a key set "
        "to null returns to the default. `rate_limit_per_minute` needs the admin key.",
    )

    _required = field_validator("name", "timezone", "language", "settings")(_not_null)


class CompanyAdminUpdate(CompanyUpdate):
    is_active: bool | None = Field(
        None, description="False deactivates the company: its keys are refused at once."
    )

    _active_required = field_validator("is_active")(_not_null)


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


class CompanyQuery(Pagination):
    is_active: bool | None = None


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
    phone: Line | None = Field(None, max_length=32, examples=["+49 30 1234567"])
    address: Line | None = Field(None, max_length=500)
    timezone: TimeZoneName | None = Field(None, description="Defaults to the company's time zone.")


class BranchUpdate(Schema):
    name: Name | None = None
    phone: Line | None = Field(None, max_length=32)
    address: Line | None = Field(None, max_length=500)
    timezone: TimeZoneName | None = None
    is_active: bool | None = None

    _required = field_validator("name", "is_active")(_not_null)


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


class BranchQuery(Pagination):
    is_active: bool | None = None


PHASE_DESCRIPTION = (
    "Minutes of the {phase} phase; used only when `has_processing_time` is true "
    "(initial > 0, processing > 0, final >= 0, and the three add up to `duration_minutes`)."
)


class ServiceCreate(Schema):
    name: Name = Field(examples=["Colour and cut"])
    branch_id: Id | None = Field(
        None, description="Offered only at this branch; null for every branch of the company."
    )
    duration_minutes: int = Field(gt=0, le=24 * 60, examples=[90])
    price: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2, examples=["79.00"])
    calcom_event_type_id: ExternalId | None = Field(
        None, description="Cal.com event type booked for this service (one service per type)."
    )
    has_processing_time: bool = Field(
        False,
        description="Split appointment: staff is free during the processing phase.",
    )
    initial_duration: int | None = Field(
        None, ge=0, le=24 * 60, description=PHASE_DESCRIPTION.format(phase="initial"), examples=[30]
    )
    processing_duration: int | None = Field(
        None,
        ge=0,
        le=24 * 60,
        description=PHASE_DESCRIPTION.format(phase="processing"),
        examples=[40],
    )
    final_duration: int | None = Field(
        None, ge=0, le=24 * 60, description=PHASE_DESCRIPTION.format(phase="final"), examples=[20]
    )
    is_active: bool = True


class ServiceUpdate(Schema):
    """Only the fields sent are changed; the result is validated as a whole."""

    name: Name | None = None
    branch_id: Id | None = Field(None, description="Null makes the service company-wide.")
    duration_minutes: int | None = Field(None, gt=0, le=24 * 60)
    price: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    calcom_event_type_id: ExternalId | None = None
    has_processing_time: bool | None = None
    initial_duration: int | None = Field(None, ge=0, le=24 * 60)
    processing_duration: int | None = Field(None, ge=0, le=24 * 60)
    final_duration: int | None = Field(None, ge=0, le=24 * 60)
    is_active: bool | None = None

    _required = field_validator(
        "name", "duration_minutes", "price", "has_processing_time", "is_active"
    )(_not_null)


class ServiceRead(ReadSchema):
    id: int
    company_id: int
    branch_id: int | None
    name: str
    duration_minutes: int
    price: Decimal = Field(description="Decimal as a string, two places.")
    calcom_event_type_id: int | None
    has_processing_time: bool
    initial_duration: int | None
    processing_duration: int | None
    final_duration: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ServiceQuery(Pagination):
    branch_id: Id | None = Field(None, description="Only services tied to this branch.")
    is_active: bool | None = None


class StaffCreate(Schema):
    name: Name = Field(examples=["Anna Schmidt"])
    branch_id: Id = Field(description="The branch the staff member works at.")
    email: Email | None = None
    calcom_user_id: ExternalId | None = None
    service_ids: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="Services this staff member may perform.",
        examples=[[1, 2]],
    )
    is_active: bool = True


class StaffUpdate(Schema):
    name: Name | None = None
    branch_id: Id | None = None
    email: Email | None = None
    calcom_user_id: ExternalId | None = None
    service_ids: list[Id] | None = Field(
        None, max_length=500, description="Replaces the whole set when sent."
    )
    is_active: bool | None = None

    _required = field_validator("name", "branch_id", "service_ids", "is_active")(_not_null)


class StaffRead(ReadSchema):
    id: int
    company_id: int
    branch_id: int
    name: str
    email: str | None
    calcom_user_id: int | None
    service_ids: list[int] = Field(description="Services this staff member may perform.")
    is_active: bool
    created_at: datetime
    updated_at: datetime


class StaffQuery(Pagination):
    branch_id: Id | None = None
    service_id: Id | None = Field(None, description="Only staff qualified for this service.")
    is_active: bool | None = None


class WorkingHoursRange(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday.", examples=[0])
    start_time: ClockTime
    end_time: ClockTime = Field(examples=["18:00"])

    @field_validator("end_time")
    @classmethod
    def _after_start(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start_time")
        if start is not None and end <= start:
            raise ValueError("must be after start_time")
        return end


class WorkingHoursWeek(Schema):
    working_hours: list[WorkingHoursRange] = Field(
        max_length=100,
        description=(
            "The whole week; several ranges a day are allowed, overlapping ones are not. "
            "A weekday without ranges is a day off."
        ),
        examples=[
            [
                {"weekday": 0, "start_time": "09:00", "end_time": "13:00"},
                {"weekday": 0, "start_time": "14:00", "end_time": "18:00"},
            ]
        ],
    )


class TimeOffCreate(Schema):
    starts_at: AwareDatetime = Field(examples=["2026-08-03T09:00:00+02:00"])
    ends_at: AwareDatetime = Field(examples=["2026-08-14T18:00:00+02:00"])
    reason: Line | None = Field(None, max_length=500, examples=["Holiday"])


class TimeOffRead(ReadSchema):
    id: int
    staff_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str | None
    created_at: datetime


class TimeOffQuery(Pagination):
    """Time off overlapping the window [`from`, `to`)."""

    starts_from: AwareDatetime | None = Field(None, alias="from")
    until: AwareDatetime | None = Field(None, alias="to")


class CustomerCreate(Schema):
    name: Name = Field(examples=["Max Mustermann"])
    phone: Phone = Field(
        description="Stored in E.164; national numbers are read in the company's region.",
        examples=["0151 12345678"],
    )
    email: Email | None = None
    language: Language | None = Field(None, description="Null: the company's language.")
    notes: Text | None = Field(None, max_length=5000)


class CustomerUpdate(Schema):
    name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None
    language: Language | None = None
    notes: Text | None = Field(None, max_length=5000)

    _required = field_validator("name", "phone")(_not_null)


class CustomerRead(ReadSchema):
    id: int
    company_id: int
    name: str
    phone: str | None = Field(
        description="E.164; null for a customer known only by email (a calendar booking)."
    )
    email: str | None
    language: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


class CustomerQuery(Pagination):
    phone: Line | None = Field(None, max_length=32, description="Exact number, any format.")
    q: Line | None = Field(None, max_length=200, description="Part of the name, any case.")


class PhoneNumberCreate(Schema):
    number: Phone = Field(
        description="The dialled number; stored in E.164 and unique across all companies.",
        examples=["+49 30 9876543"],
    )
    branch_id: Id | None = Field(None, description="The branch callers of this number reach.")
    retell_agent_id: Line | None = Field(None, max_length=128, examples=["agent_5f2c"])


class PhoneNumberUpdate(Schema):
    number: Phone | None = None
    branch_id: Id | None = None
    retell_agent_id: Line | None = Field(None, max_length=128)

    _required = field_validator("number")(_not_null)


class PhoneNumberRead(ReadSchema):
    id: int
    company_id: int
    number: str = Field(description="E.164.")
    branch_id: int | None
    retell_agent_id: str | None
    created_at: datetime
    updated_at: datetime


class PhoneNumberQuery(Pagination):
    branch_id: Id | None = None
