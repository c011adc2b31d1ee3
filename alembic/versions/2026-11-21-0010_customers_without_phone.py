"""customers without phone, looked up by email

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.alter_column("phone", existing_type=sa.String(length=32), nullable=True)
        batch_op.create_index("ix_customers_email", ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_index("ix_customers_email")
        batch_op.alter_column("phone", existing_type=sa.String(length=32), nullable=False)
