"""callback requests: an index for the caller's open request (company, phone, created_at)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.create_index(
            "ix_callback_requests_company_phone_created",
            ["company_id", "phone", "created_at"],
        )


def downgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.drop_index("ix_callback_requests_company_phone_created")
