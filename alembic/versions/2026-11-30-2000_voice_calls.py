"""voice calls: provider, branch, agent, lifecycle details; the function invocation log

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(
            sa.Column("provider", sa.String(length=16), nullable=False, server_default="retell")
        )
        batch_op.add_column(sa.Column("branch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agent_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("disconnection_reason", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sentiment", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("call_successful", sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_calls_branch_id_branches"),
            "branches",
            ["branch_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "call_invocations",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=64), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_invocations_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_call_invocations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_invocations")),
        sa.UniqueConstraint(
            "call_id", "idempotency_key", name=op.f("uq_call_invocations_call_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("call_invocations") as batch_op:
        batch_op.create_index(
            "ix_call_invocations_call_sequence", ["call_id", "sequence"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_invocations_company_id"), ["company_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("call_invocations")
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_calls_branch_id_branches"), type_="foreignkey")
        for column in (
            "call_successful",
            "sentiment",
            "summary",
            "disconnection_reason",
            "duration_ms",
            "agent_id",
            "branch_id",
            "provider",
        ):
            batch_op.drop_column(column)
