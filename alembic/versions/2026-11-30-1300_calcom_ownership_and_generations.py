"""one company per Cal.com team and event type; cache generations of record

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 13:00:00

A Cal.com team or event type claimed by two companies let one tenant receive another's
bookings. The upgrade refuses to run while such a claim exists, naming it, because only the
operator can tell which company the team or event type really belongs to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refuse_shared_claims() -> None:
    connection = op.get_bind()
    checks = {
        "calcom_team_id": "SELECT calcom_team_id, COUNT(*) FROM companies "
        "WHERE calcom_team_id IS NOT NULL GROUP BY calcom_team_id HAVING COUNT(*) > 1",
        "calcom_event_type_id": "SELECT calcom_event_type_id, COUNT(*) FROM services "
        "WHERE calcom_event_type_id IS NOT NULL GROUP BY calcom_event_type_id "
        "HAVING COUNT(*) > 1",
    }
    for column, query in checks.items():
        shared = connection.execute(sa.text(query)).all()
        if shared:
            ids = ", ".join(str(row[0]) for row in shared)
            raise RuntimeError(
                f"{column} {ids} is claimed more than once; set it to NULL on all but the "
                "rightful owner (companies.calcom_team_id / services.calcom_event_type_id), "
                "then run the migration again."
            )


def upgrade() -> None:
    _refuse_shared_claims()
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_index("ix_companies_calcom_team_id")
        batch_op.create_unique_constraint("uq_companies_calcom_team_id", ["calcom_team_id"])
    with op.batch_alter_table("services") as batch_op:
        batch_op.drop_index("ix_services_calcom_event_type_id")
        batch_op.create_unique_constraint(
            "uq_services_calcom_event_type_id", ["calcom_event_type_id"]
        )
    op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_generations")),
    )
    with op.batch_alter_table("cache_generations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cache_generations_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cache_generations") as batch_op:
        batch_op.drop_index(batch_op.f("ix_cache_generations_updated_at"))
    op.drop_table("cache_generations")
    with op.batch_alter_table("services") as batch_op:
        batch_op.drop_constraint("uq_services_calcom_event_type_id", type_="unique")
        batch_op.create_index(
            "ix_services_calcom_event_type_id", ["calcom_event_type_id"], unique=False
        )
    with op.batch_alter_table("companies") as batch_op:
        batch_op.drop_constraint("uq_companies_calcom_team_id", type_="unique")
        batch_op.create_index("ix_companies_calcom_team_id", ["calcom_team_id"], unique=False)
