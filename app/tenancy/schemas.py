"""Request and response models of the tenancy API.

PATCH models: a field left out keeps its value. Where null means something (clearing an
optional value, unlinking, falling back to the company's default) the field is `X | None`
and says what null does; every other field is declared with its own type and a None default
(`patch_field`), so leaving it out is allowed but an explicit null is refused with 422.
"""

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

PATCH_DESCRIPTION = (
    "Only the fields sent are changed; a field left out keeps its value. Null is accepted "
    "only where a field says what it means; elsewhere it is refused with 422."
)


def _no_default(schema: dict[str, Any]) -> None:
    # Leaving the field out means "unchanged", not "set to null": document no null default.
    schema.pop("default", None)


def patch_field(description: str, **constraints: Any) -> Any:
    """A PATCH field that may be left out but not set to null.

    Its type stays non-optional, so an explicit null fails type validation (422 naming the
    field); the None default is never validated and `model_dump(exclude_unset=True)` drops
    it, so leaving the field out changes nothing.
    """
    return Field(None, description=description, json_schema_extra=_no_default, **constraints)


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

# Shared wording, so request and response models say the same thing.
CREATED_AT = "When it was created: ISO 8601 in UTC. Set by the service."
UPDATED_AT = "When it last changed: ISO 8601 in UTC. Set by the service."
COMPANY_ID = "The company it belongs to."
COMPANY_TIMEZONE = (
    "IANA time zone of the company: the zone of every branch without one of its own (times "
    "are read and shown in the branch's zone)."
)
LANGUAGE = "Language the company speaks with its customers: `de` or `en`."
CALCOM_TEAM = (
    "The Cal.com team whose bookings belong to this company (one company per team): webhooks "
    "naming the team are routed here."
)
IS_ACTIVE_FILTER = "Only active (`true`) or only deactivated (`false`) ones; left out: all."
BRANCH_ZONE = (
    "IANA time zone of the branch: its appointments, free times, working hours and staff "
    "time off are in it, and times sent for it without an offset are read in it."
)
BRANCH_TIMEZONE = BRANCH_ZONE + " Null: the company's time zone."
BRANCH_PHONE = (
    "The branch's public phone number, stored in E.164 (national numbers are read in the "
    "company's region)."
)
SERVICE_BRANCH = "Offered only at this branch; null: at every branch of the company."
CALCOM_EVENT_TYPE = (
    "The Cal.com event type booked for this service (one service per event type): with the "
    "Cal.com integration on, its bookings are mirrored there and its free times come from there."
)
DURATION = "Length of an appointment in minutes (1-1440), processing time included."
PRICE = "Price in the company's currency: a decimal string with two places."
PRICE_IN = (
    "Price in the company's currency, at least 0: a decimal string (or number) with at most "
    "two places."
)
HAS_PROCESSING_TIME = (
    "Split appointment: the staff member works in the initial and final phases and is free "
    "for other customers during the processing phase (e.g. while colour develops), once the "
    "processing-time rollout includes the company or service."
)
PHASE_DESCRIPTION = (
    "Minutes of the {phase} phase; used only when `has_processing_time` is true "
    "(initial > 0, processing > 0, final >= 0, and the three add up to `duration_minutes`)."
)
PHASE_PATCH = " Null clears it; that is refused while `has_processing_time` is true."
STAFF_EMAIL = "The staff member's email address, for the salon's own use."
CALCOM_USER = (
    "The staff member's Cal.com user id: a Cal.com booking whose organiser is this user is "
    "assigned to them."
)
SERVICE_IDS = "Ids of the services this staff member may perform (services of the company)."
CUSTOMER_PHONE = "Stored in E.164; national numbers are read in the company's region."
CUSTOMER_LANGUAGE = "The customer's language, `de` or `en`; null: the company's language."
NOTES = "Free text for the salon, e.g. preferences or allergies; line breaks allowed."
PHONE_BRANCH = "The branch callers of this number reach; null: the company, no particular branch."
RETELL_AGENT = "Id of the Retell voice agent answering this number."


class CompanyCreate(Schema):
    """A new company (tenant); only the admin key may create one."""

    name: Name = Field(description="Display name of the company.", examples=["Salon Schönschnitt"])
    slug: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,98}$",
        description="URL-safe id, unique across companies (lowercase letters, digits, "
        "hyphens); derived from the name when left out.",
        examples=["salon-schoenschnitt"],
    )
    timezone: TimeZoneName = Field("Europe/Berlin", description=COMPANY_TIMEZONE)
    language: Language = Field("de", description=LANGUAGE)
    calcom_team_id: ExternalId | None = Field(
        None, description=CALCOM_TEAM + " Left out or null: not linked.", examples=[4711]
    )
    settings: CompanySettings = Field(
        default_factory=CompanySettings,
        description="Booking rules and operator settings; keys left out use their defaults.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Salon Schönschnitt",
                    "timezone": "Europe/Berlin",
                    "language": "de",
                    "settings": {"slot_interval_minutes": 15, "min_notice_minutes": 60},
                }
            ]
        }
    }


class CompanyUpdate(Schema):
    __doc__ = PATCH_DESCRIPTION

    name: Name = patch_field("Display name of the company.")
    timezone: TimeZoneName = patch_field(COMPANY_TIMEZONE)
    language: Language = patch_field(LANGUAGE)
    calcom_team_id: ExternalId | None = Field(
        None, description=CALCOM_TEAM + " Null unlinks the company from its team."
    )
    settings: CompanySettings = patch_field(
        "Merged into the stored settings: a key sent replaces its value, a key set to null "
        "returns to the default, a key left out is kept. `rate_limit_per_minute` needs the "
        "admin key."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"name": "Demo Salon", "settings": {"min_notice_minutes": 120}},
                {"calcom_team_id": None, "settings": {"min_notice_minutes": None}},
            ]
        }
    }


class CompanyAdminUpdate(CompanyUpdate):
    __doc__ = PATCH_DESCRIPTION + " The admin key may also (de)activate the company."

    is_active: bool = patch_field(
        "False deactivates the company: its keys are refused from the next request on; true "
        "reactivates it."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"is_active": True, "settings": {"rate_limit_per_minute": 600}}]
        }
    }


class CompanyRead(ReadSchema):
    id: int = Field(description="The company's id.", examples=[1])
    name: str = Field(description="Display name of the company.", examples=["Demo Salon"])
    slug: str = Field(description="URL-safe id, unique across companies.", examples=["demo-salon"])
    timezone: str = Field(description=COMPANY_TIMEZONE, examples=["Europe/Berlin"])
    language: str = Field(description=LANGUAGE, examples=["de"])
    calcom_team_id: int | None = Field(description=CALCOM_TEAM + " Null: not linked.")
    settings: dict[str, Any] = Field(
        description="Only the settings that were set (see CompanySettings); every key left "
        "out has its default.",
        examples=[{"min_notice_minutes": 120}],
    )
    is_active: bool = Field(
        description="False once deactivated by the operator: the company's keys are refused."
    )
    created_at: datetime = Field(description=CREATED_AT)
    updated_at: datetime = Field(description=UPDATED_AT)


class CompanyQuery(Pagination):
    is_active: bool | None = Field(None, description=IS_ACTIVE_FILTER)


class ApiKeyCreate(Schema):
    """A new API key; the key itself is shown once, in the answer."""

    name: Name = Field(
        description="A label to recognise the key by, e.g. the app or desk using it.",
        examples=["front desk app"],
    )

    model_config = {"json_schema_extra": {"examples": [{"name": "front desk app"}]}}


class ApiKeyRead(ReadSchema):
    id: int = Field(description="The key's id; revoke the key with it.", examples=[3])
    company_id: int | None = Field(
        description="The company the key acts for; null for an admin key.", examples=[1]
    )
    name: str = Field(description="The label given when the key was issued.")
    prefix: str = Field(
        description="First characters of the key, to recognise it.", examples=["bk_3Qy9xWm2L"]
    )
    created_at: datetime = Field(description="When the key was issued: ISO 8601 in UTC.")
    revoked_at: datetime | None = Field(
        description="When the key was revoked: ISO 8601 in UTC; null while it is valid."
    )


class ApiKeyIssued(ApiKeyRead):
    key: str = Field(description="The full key. It is shown only in this response; store it now.")


class BranchCreate(Schema):
    """A new branch (location) of the calling company."""

    name: Name = Field(description="Name of the branch, e.g. its district.", examples=["Mitte"])
    phone: Line | None = Field(
        None, max_length=32, description=BRANCH_PHONE, examples=["+49 30 1234567"]
    )
    address: Line | None = Field(
        None,
        max_length=500,
        description="Postal address, one line.",
        examples=["Torstraße 101, 10119 Berlin"],
    )
    timezone: TimeZoneName | None = Field(
        None, description=BRANCH_ZONE + " Left out or null: the company's time zone."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Prenzlauer Berg",
                    "phone": "030 44012345",
                    "address": "Kastanienallee 12, 10435 Berlin",
                }
            ]
        }
    }


class BranchUpdate(Schema):
    __doc__ = PATCH_DESCRIPTION

    name: Name = patch_field("Name of the branch.")
    phone: Line | None = Field(None, max_length=32, description=BRANCH_PHONE + " Null clears it.")
    address: Line | None = Field(
        None, max_length=500, description="Postal address, one line. Null clears it."
    )
    timezone: TimeZoneName | None = Field(None, description=BRANCH_TIMEZONE)
    is_active: bool = patch_field(
        "False deactivates the branch (as DELETE does); true reactivates it."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"phone": "+49 30 23125001", "address": "Torstraße 101, 10119 Berlin"},
                {"timezone": None},
            ]
        }
    }


class BranchRead(ReadSchema):
    id: int = Field(description="The branch's id.", examples=[1])
    company_id: int = Field(description=COMPANY_ID, examples=[1])
    name: str = Field(description="Name of the branch.", examples=["Mitte"])
    phone: str | None = Field(description="Public phone number in E.164; null when none.")
    address: str | None = Field(description="Postal address; null when none.")
    timezone: str | None = Field(description=BRANCH_TIMEZONE)
    is_active: bool = Field(
        description="False once deactivated (DELETE); its appointments stay on record."
    )
    created_at: datetime = Field(description=CREATED_AT)
    updated_at: datetime = Field(description=UPDATED_AT)


class BranchQuery(Pagination):
    is_active: bool | None = Field(None, description=IS_ACTIVE_FILTER)


class ServiceCreate(Schema):
    """A new service of the calling company's catalogue."""

    name: Name = Field(description="Name shown to customers.", examples=["Colour and cut"])
    branch_id: Id | None = Field(None, description=SERVICE_BRANCH, examples=[1])
    duration_minutes: int = Field(gt=0, le=24 * 60, description=DURATION, examples=[90])
    price: Decimal = Field(
        Decimal("0"),
        ge=0,
        max_digits=10,
        decimal_places=2,
        description=PRICE_IN + " Default 0.",
        examples=["79.00"],
    )
    calcom_event_type_id: ExternalId | None = Field(
        None, description=CALCOM_EVENT_TYPE + " Left out or null: not linked."
    )
    has_processing_time: bool = Field(False, description=HAS_PROCESSING_TIME + " Default false.")
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
    is_active: bool = Field(True, description="False: listed but not bookable. Default true.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Colour and cut",
                    "branch_id": 1,
                    "duration_minutes": 90,
                    "price": "79.00",
                    "has_processing_time": True,
                    "initial_duration": 30,
                    "processing_duration": 40,
                    "final_duration": 20,
                }
            ]
        }
    }


class ServiceUpdate(Schema):
    """Only the fields sent are changed; the result is validated as a whole. Null is accepted
    only where a field says what it means; elsewhere it is refused with 422."""

    name: Name = patch_field("Name shown to customers.")
    branch_id: Id | None = Field(None, description="Null makes the service company-wide.")
    duration_minutes: int = patch_field(DURATION, gt=0, le=24 * 60)
    price: Decimal = patch_field(PRICE_IN, ge=0, max_digits=10, decimal_places=2)
    calcom_event_type_id: ExternalId | None = Field(
        None, description=CALCOM_EVENT_TYPE + " Null unlinks it."
    )
    has_processing_time: bool = patch_field(HAS_PROCESSING_TIME)
    initial_duration: int | None = Field(
        None, ge=0, le=24 * 60, description=PHASE_DESCRIPTION.format(phase="initial") + PHASE_PATCH
    )
    processing_duration: int | None = Field(
        None,
        ge=0,
        le=24 * 60,
        description=PHASE_DESCRIPTION.format(phase="processing") + PHASE_PATCH,
    )
    final_duration: int | None = Field(
        None, ge=0, le=24 * 60, description=PHASE_DESCRIPTION.format(phase="final") + PHASE_PATCH
    )
    is_active: bool = patch_field("False stops bookings of the service (as DELETE does).")

    model_config = {
        "json_schema_extra": {
            "examples": [{"price": "49.50"}, {"branch_id": None, "calcom_event_type_id": None}]
        }
    }


class ServiceRead(ReadSchema):
    id: int = Field(description="The service's id.", examples=[2])
    company_id: int = Field(description=COMPANY_ID, examples=[1])
    branch_id: int | None = Field(description=SERVICE_BRANCH)
    name: str = Field(description="Name shown to customers.", examples=["Cut & blow-dry"])
    duration_minutes: int = Field(description=DURATION, examples=[45])
    price: Decimal = Field(description=PRICE, examples=["48.00"])
    calcom_event_type_id: int | None = Field(description=CALCOM_EVENT_TYPE + " Null: not linked.")
    has_processing_time: bool = Field(description=HAS_PROCESSING_TIME)
    initial_duration: int | None = Field(description=PHASE_DESCRIPTION.format(phase="initial"))
    processing_duration: int | None = Field(
        description=PHASE_DESCRIPTION.format(phase="processing")
    )
    final_duration: int | None = Field(description=PHASE_DESCRIPTION.format(phase="final"))
    is_active: bool = Field(description="False once deactivated: no longer bookable.")
    created_at: datetime = Field(description=CREATED_AT)
    updated_at: datetime = Field(description=UPDATED_AT)


class ServiceQuery(Pagination):
    branch_id: Id | None = Field(
        None, description="Only services tied to this branch (company-wide ones are left out)."
    )
    is_active: bool | None = Field(None, description=IS_ACTIVE_FILTER)


class StaffCreate(Schema):
    """A new staff member of the calling company."""

    name: Name = Field(description="The staff member's name.", examples=["Anna Schmidt"])
    branch_id: Id = Field(description="The branch the staff member works at.", examples=[1])
    email: Email | None = Field(None, description=STAFF_EMAIL)
    calcom_user_id: ExternalId | None = Field(
        None, description=CALCOM_USER + " Left out or null: not linked."
    )
    service_ids: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description=SERVICE_IDS + " Default: none.",
        examples=[[1, 2]],
    )
    is_active: bool = Field(True, description="False: not offered for bookings. Default true.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Emil Becker",
                    "branch_id": 1,
                    "email": "emil@example.com",
                    "service_ids": [1, 2],
                }
            ]
        }
    }


class StaffUpdate(Schema):
    __doc__ = PATCH_DESCRIPTION

    name: Name = patch_field("The staff member's name.")
    branch_id: Id = patch_field("The branch the staff member works at.")
    email: Email | None = Field(None, description=STAFF_EMAIL + " Null clears it.")
    calcom_user_id: ExternalId | None = Field(None, description=CALCOM_USER + " Null unlinks it.")
    service_ids: list[Id] = patch_field(
        SERVICE_IDS + " Replaces the whole set when sent; `[]` removes them all.", max_length=500
    )
    is_active: bool = patch_field("False deactivates the staff member (as DELETE does).")

    model_config = {
        "json_schema_extra": {"examples": [{"service_ids": [1, 2, 3]}, {"email": None}]}
    }


class StaffRead(ReadSchema):
    id: int = Field(description="The staff member's id.", examples=[1])
    company_id: int = Field(description=COMPANY_ID, examples=[1])
    branch_id: int = Field(description="The branch the staff member works at.", examples=[1])
    name: str = Field(description="The staff member's name.", examples=["Anna Schmidt"])
    email: str | None = Field(description=STAFF_EMAIL + " Null when none.")
    calcom_user_id: int | None = Field(description=CALCOM_USER + " Null: not linked.")
    service_ids: list[int] = Field(
        description="Services this staff member may perform, by id, ascending.", examples=[[1, 2]]
    )
    is_active: bool = Field(description="False once deactivated: no longer offered.")
    created_at: datetime = Field(description=CREATED_AT)
    updated_at: datetime = Field(description=UPDATED_AT)


class StaffQuery(Pagination):
    branch_id: Id | None = Field(None, description="Only staff of this branch.")
    service_id: Id | None = Field(None, description="Only staff qualified for this service.")
    is_active: bool | None = Field(None, description=IS_ACTIVE_FILTER)


class WorkingHoursRange(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday.", examples=[0])
    start_time: ClockTime
    end_time: ClockTime = Field(
        description="Local wall-clock time, `HH:MM`; after `start_time`.", examples=["18:00"]
    )

    @field_validator("end_time")
    @classmethod
    def _after_start(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start_time")
        if start is not None and end <= start:
            raise ValueError("must be after start_time")
        return end


class WorkingHoursWeek(Schema):
    """A staff member's regular week: wall-clock times in the branch's time zone."""

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

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "working_hours": [
                        {"weekday": 0, "start_time": "09:00", "end_time": "13:00"},
                        {"weekday": 0, "start_time": "14:00", "end_time": "18:00"},
                        {"weekday": 1, "start_time": "09:00", "end_time": "18:00"},
                        {"weekday": 5, "start_time": "10:00", "end_time": "14:00"},
                    ]
                }
            ]
        }
    }


class TimeOffCreate(Schema):
    """An absence of the staff member (holiday, sick day): no bookings while it lasts."""

    starts_at: AwareDatetime = Field(
        description="Start of the absence: ISO 8601; without an offset it is read in the "
        "staff member's branch zone.",
        examples=["2026-08-03T09:00:00+02:00"],
    )
    ends_at: AwareDatetime = Field(
        description="End of the absence (exclusive), after `starts_at`: ISO 8601; without an "
        "offset it is read in the staff member's branch zone.",
        examples=["2026-08-14T18:00:00+02:00"],
    )
    reason: Line | None = Field(
        None, max_length=500, description="Why, for the salon's own use.", examples=["Holiday"]
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "starts_at": "2026-08-03T09:00:00+02:00",
                    "ends_at": "2026-08-14T18:00:00+02:00",
                    "reason": "Urlaub",
                }
            ]
        }
    }


class TimeOffRead(ReadSchema):
    id: int = Field(description="The time off's id.", examples=[7])
    staff_id: int = Field(description="The staff member who is away.", examples=[1])
    starts_at: datetime = Field(description="Start of the absence: ISO 8601 in UTC.")
    ends_at: datetime = Field(description="End of the absence (exclusive): ISO 8601 in UTC.")
    reason: str | None = Field(description="Why, for the salon's own use; null when not given.")
    created_at: datetime = Field(description=CREATED_AT)


class TimeOffQuery(Pagination):
    """Time off overlapping the window [`from`, `to`)."""

    starts_from: AwareDatetime | None = Field(
        None,
        alias="from",
        description="Only time off ending after this moment (ISO 8601; without an offset in "
        "the staff member's branch zone).",
        examples=["2026-08-01T00:00:00+02:00"],
    )
    until: AwareDatetime | None = Field(
        None,
        alias="to",
        description="Only time off starting before this moment (ISO 8601; without an offset "
        "in the staff member's branch zone); after `from`.",
        examples=["2026-09-01T00:00:00+02:00"],
    )


class CustomerCreate(Schema):
    """A new customer of the calling company, identified by their phone number."""

    name: Name = Field(description="The customer's name.", examples=["Max Mustermann"])
    phone: Phone = Field(
        description=CUSTOMER_PHONE + " Unique within the company.",
        examples=["0151 12345678"],
    )
    email: Email | None = Field(None, description="The customer's email address.")
    language: Language | None = Field(None, description=CUSTOMER_LANGUAGE)
    notes: Text | None = Field(None, max_length=5000, description=NOTES)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Lena Fischer",
                    "phone": "0160 98765432",
                    "email": "lena@example.com",
                    "language": "de",
                    "notes": "Prefers Anna.",
                }
            ]
        }
    }


class CustomerUpdate(Schema):
    __doc__ = PATCH_DESCRIPTION

    name: Name = patch_field("The customer's name.")
    phone: Phone = patch_field(CUSTOMER_PHONE + " Unique within the company.")
    email: Email | None = Field(None, description="The customer's email address; null clears it.")
    language: Language | None = Field(None, description=CUSTOMER_LANGUAGE)
    notes: Text | None = Field(None, max_length=5000, description=NOTES + " Null clears them.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"email": "max.mustermann@example.com", "notes": "Allergic to ammonia."},
                {"language": None},
            ]
        }
    }


class CustomerRead(ReadSchema):
    id: int = Field(description="The customer's id.", examples=[1])
    company_id: int = Field(description=COMPANY_ID, examples=[1])
    name: str = Field(description="The customer's name.", examples=["Max Mustermann"])
    phone: str | None = Field(
        description="E.164; null for a customer known only by email (a calendar booking).",
        examples=["+4915112345678"],
    )
    email: str | None = Field(description="The customer's email address; null when unknown.")
    language: str | None = Field(description=CUSTOMER_LANGUAGE)
    notes: str | None = Field(description=NOTES + " Null when none.")
    created_at: datetime = Field(description=CREATED_AT)
    updated_at: datetime = Field(description=UPDATED_AT)


class CustomerQuery(Pagination):
    phone: Line | None = Field(None, max_length=32, description="Exact number, any format.")
    q: Line | None = Field(None, max_length=200, description="Part of the name, any case.")


class PhoneNumberCreate(Schema):
    """A number callers dial to reach the company's voice assistant."""

    number: Phone = Field(
        description="The dialled number; stored in E.164 and unique across all companies.",
        examples=["+49 30 9876543"],
    )
    branch_id: Id | None = Field(None, description=PHONE_BRANCH, examples=[1])
    retell_agent_id: Line | None = Field(
        None, max_length=128, description=RETELL_AGENT, examples=["agent_5f2c"]
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"number": "+49 30 23125200", "branch_id": 1, "retell_agent_id": "agent_5f2c"}
            ]
        }
    }


class PhoneNumberUpdate(Schema):
    __doc__ = PATCH_DESCRIPTION

    number: Phone = patch_field(
        "The dialled number; stored in E.164 and unique across all companies."
    )
    branch_id: Id | None = Field(None, description=PHONE_BRANCH)
    retell_agent_id: Line | None = Field(
        None, max_length=128, description=RETELL_AGENT + " Null clears it."
    )

    model_config = {
        "json_schema_extra": {"examples": [{"branch_id": 2}, {"retell_agent_id": None}]}
    }


class PhoneNumberRead(ReadSchema):
    id: int = Field(description="The phone number's id.", examples=[1])
    company_id: int = Field(description=COMPANY_ID, examples=[1])
    number: str = Field(description="E.164.", examples=["+493023125000"])
    branch_id: int | None = Field(description=PHONE_BRANCH)
    retell_agent_id: str | None = Field(description=RETELL_AGENT + " Null when none.")
    created_at: datetime = Field(description=CREATED_AT)
    updated_at: datetime = Field(description=UPDATED_AT)


class PhoneNumberQuery(Pagination):
    branch_id: Id | None = Field(None, description="Only numbers that reach this branch.")
