"""callback attempts; outbox rows tied to their appointment or callback, with fallbacks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("notification_deliveries") as batch_op:
        batch_op.alter_column("recipient", existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column("appointment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("callback_request_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fallback_of", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_deliveries_appointment_id_appointments"),
            "appointments",
            ["appointment_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_deliveries_callback_request_id_callback_requests"),
            "callback_requests",
            ["callback_request_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_deliveries_fallback_of_notification_deliveries"),
            "notification_deliveries",
            ["fallback_of"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_appointment_id"), ["appointment_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_callback_request_id"), ["callback_request_id"]
        )


def downgrade() -> None:
    # The older schema has no place for a delivery that never found a recipient (a customer
    # without email or phone): those rows are dropped rather than given a made-up address.
    op.execute("DELETE FROM notification_deliveries WHERE recipient IS NULL")
    with op.batch_alter_table("notification_deliveries") as batch_op:
        # Foreign keys first: MariaDB keeps an index while a foreign key needs it.
        batch_op.drop_constraint(
            batch_op.f("fk_notification_deliveries_fallback_of_notification_deliveries"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_notification_deliveries_callback_request_id_callback_requests"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_notification_deliveries_appointment_id_appointments"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_callback_request_id"))
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_appointment_id"))
        batch_op.drop_column("fallback_of")
        batch_op.drop_column("callback_request_id")
        batch_op.drop_column("appointment_id")
        batch_op.alter_column("recipient", existing_type=sa.String(length=254), nullable=False)
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.drop_column("attempts")
