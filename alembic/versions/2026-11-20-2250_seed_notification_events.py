"""seed notification events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-20 22:50:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (event_type, label, category, default channels, description)
EVENTS = [
    (
        "booking_confirmed",
        "Booking confirmed",
        "booking",
        ["email", "sms"],
        "An appointment was booked and confirmed.",
    ),
    (
        "booking_pending",
        "Booking pending",
        "booking",
        ["email"],
        "An appointment is held while the calendar confirms it.",
    ),
    (
        "reminder_24h",
        "Reminder 24 hours before",
        "reminder",
        ["sms"],
        "Reminder sent one day before the appointment.",
    ),
    (
        "reminder_2h",
        "Reminder 2 hours before",
        "reminder",
        ["sms"],
        "Reminder sent two hours before the appointment.",
    ),
    (
        "reminder_1week",
        "Reminder one week before",
        "reminder",
        ["email"],
        "Reminder sent one week before the appointment.",
    ),
    (
        "cancellation",
        "Appointment cancelled",
        "modification",
        ["email", "sms"],
        "An appointment was cancelled by the customer, staff or the calendar.",
    ),
    (
        "reschedule_confirmed",
        "Reschedule confirmed",
        "modification",
        ["email", "sms"],
        "An appointment was moved to a new time.",
    ),
    (
        "appointment_modified",
        "Appointment modified",
        "modification",
        ["email"],
        "Service, staff member or notes of an appointment changed.",
    ),
    (
        "callback_request_received",
        "Callback request received",
        "callback",
        ["email", "push"],
        "A customer asked to be called back; staff are notified.",
    ),
    (
        "callback_scheduled",
        "Callback scheduled",
        "callback",
        ["sms"],
        "A callback was assigned and the customer is told when to expect it.",
    ),
    (
        "no_show",
        "No-show recorded",
        "attendance",
        ["email"],
        "The customer did not attend the appointment.",
    ),
    (
        "appointment_completed",
        "Appointment completed",
        "attendance",
        ["email"],
        "The appointment took place; used for follow-ups and reviews.",
    ),
    (
        "payment_received",
        "Payment received",
        "payment",
        ["email"],
        "A payment or fee for an appointment was received.",
    ),
]

mappings = sa.table(
    "notification_event_mappings",
    sa.column("event_type", sa.String),
    sa.column("event_label", sa.String),
    sa.column("event_category", sa.String),
    sa.column("default_channels", sa.JSON),
    sa.column("description", sa.Text),
    sa.column("is_system_event", sa.Boolean),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", app.db.UTCDateTime),
    sa.column("updated_at", app.db.UTCDateTime),
)


def upgrade() -> None:
    now = datetime.now(UTC)
    op.bulk_insert(
        mappings,
        [
            {
                "event_type": event_type,
                "event_label": label,
                "event_category": category,
                "default_channels": channels,
                "description": description,
                "is_system_event": True,
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for event_type, label, category, channels, description in EVENTS
        ],
    )


def downgrade() -> None:
    op.execute(mappings.delete().where(mappings.c.event_type.in_([event[0] for event in EVENTS])))
