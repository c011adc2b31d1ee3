"""Settings read from the environment (and `.env`); the variable names are part of the contract."""

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IdList = Annotated[frozenset[int], NoDecode]


class FeatureFlags(BaseSettings):
    """Processing-time rollout flags (DESIGN §5.1), read from `FEATURE_*` variables."""

    model_config = SettingsConfigDict(env_prefix="FEATURE_", env_file=".env", extra="ignore")

    processing_time_enabled: bool = Field(
        False, description="Master switch for split appointments."
    )
    processing_time_service_whitelist: IdList = Field(
        frozenset(), description="Service ids treated as split even with the master switch off."
    )
    processing_time_company_whitelist: IdList = Field(
        frozenset(), description="With the master on: only these companies (empty = all)."
    )
    processing_time_show_ui: bool = False
    processing_time_calcom_sync: bool = False
    processing_time_auto_create: bool = True
    skip_alternatives_for_voice: bool = False

    @field_validator(
        "processing_time_service_whitelist", "processing_time_company_whitelist", mode="before"
    )
    @classmethod
    def _parse_id_list(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.split(",") if part.strip())
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="auto: text on a terminal, JSON lines otherwise (Docker, CI)."
    )

    database_url: str = "sqlite+aiosqlite:///./data/app.db"
    database_pool_size: int = 10
    database_max_overflow: int = 20
    database_echo: bool = False
    redis_url: str | None = None

    admin_api_key: str | None = None
    rate_limit_per_minute: int = Field(
        600, ge=1, description="Requests per minute per company; a company may override it."
    )

    calcom_base_url: str = "https://api.cal.com/v2"
    calcom_api_key: str | None = None
    calcom_webhook_secret: str | None = None
    calcom_read_timeout_seconds: float = Field(
        3.0, gt=0, description="Slot reads, retries included."
    )
    calcom_write_timeout_seconds: float = Field(
        5.0, gt=0, description="Booking create/cancel/reschedule."
    )
    calcom_breaker_failure_threshold: int = Field(
        5, ge=1, description="Consecutive failures that open it."
    )
    calcom_breaker_reset_seconds: float = Field(
        60.0, gt=0, description="Open time before one probe."
    )
    retell_api_key: str | None = None
    vapi_secret: str | None = None

    smtp_host: str | None = Field(None, description="Unset: e-mail cannot be sent.")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_from: str = "Booking <no-reply@booking.example>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    sms_provider_url: str | None = Field(None, description="Unset: SMS/WhatsApp/push fail.")
    sms_provider_token: str | None = None
    worker_dispatch_seconds: float = Field(15.0, gt=0, description="Dispatcher interval.")

    default_timezone: str = "Europe/Berlin"
    default_language: Literal["de", "en"] = "de"
    default_phone_region: str = "DE"

    features: FeatureFlags = Field(default_factory=FeatureFlags)

    def __init__(self, **values: Any) -> None:
        # The flags are read from the same place as the rest: `Settings(_env_file=None)`
        # must not pick them up from a `.env` after all.
        if "features" not in values and "_env_file" in values:
            values["features"] = FeatureFlags(_env_file=values["_env_file"])
        super().__init__(**values)

    @field_validator("admin_api_key")
    @classmethod
    def _refuse_weak_admin_key(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("ADMIN_API_KEY must be at least 16 characters")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
