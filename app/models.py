"""Imports every domain's models so that `Base.metadata` is complete (Alembic, tests)."""

from app.callbacks.models import CallbackEscalation, CallbackRequest
from app.db import Base
from app.idempotency import IdempotencyKey
from app.invalidation import CacheGeneration
from app.notifications.models import (
    NotificationConfiguration,
    NotificationDelivery,
    NotificationEventMapping,
)
from app.policies.models import (
    AppointmentModification,
    AppointmentModificationStat,
    PolicyConfiguration,
)
from app.scheduling.models import Appointment, AppointmentPhase
from app.tenancy.models import (
    ApiKey,
    Branch,
    Company,
    Customer,
    PhoneNumber,
    Service,
    Staff,
    TimeOff,
    WorkingHours,
    staff_services,
)
from app.voice.models import Call, CallInvocation
from app.webhook_log import WebhookEvent

__all__ = [
    "ApiKey",
    "Appointment",
    "AppointmentModification",
    "AppointmentModificationStat",
    "AppointmentPhase",
    "Base",
    "Branch",
    "CacheGeneration",
    "Call",
    "CallInvocation",
    "CallbackEscalation",
    "CallbackRequest",
    "Company",
    "Customer",
    "IdempotencyKey",
    "NotificationConfiguration",
    "NotificationDelivery",
    "NotificationEventMapping",
    "PhoneNumber",
    "PolicyConfiguration",
    "Service",
    "Staff",
    "TimeOff",
    "WebhookEvent",
    "WorkingHours",
    "staff_services",
]
