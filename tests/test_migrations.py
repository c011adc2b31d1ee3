"""Migrations: upgrade, downgrade, upgrade on SQLite and MySQL/MariaDB; models match them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, make_url, text
from sqlalchemy.engine import Connection

from app.db import create_engine
from app.models import Base
from tests.conftest import (
    MYSQL_URL,
    alembic_config,
    mysql_execute,
    mysql_server_url,
    requires_mysql,
)

# DESIGN §4: the whole schema, named here so a table lost from both the models and the
# migrations is still noticed.
EXPECTED_TABLES = {
    "companies",
    "branches",
    "staff",
    "staff_services",
    "working_hours",
    "time_off",
    "services",
    "customers",
    "phone_numbers",
    "api_keys",
    "appointments",
    "appointment_phases",
    "policy_configurations",
    "appointment_modifications",
    "appointment_modification_stats",
    "callback_requests",
    "callback_escalations",
    "notification_event_mappings",
    "notification_configurations",
    "notification_deliveries",
    "calls",
    "webhook_events",
    "idempotency_keys",
    # The record of cache invalidations (app.invalidation).
    "cache_generations",
    # Every function a voice agent called (app.voice).
    "call_invocations",
}
CHANNELS = {"email", "sms", "whatsapp", "push"}

pytestmark = pytest.mark.filterwarnings(
    # MySQL names every primary key PRIMARY; the naming convention's pk names are moot there.
    "ignore:Name '.*' ignored for PRIMARY key"
)


def _mysql_migration_urls() -> tuple[str, str, str]:
    """(server URL, URL of a database of its own, its name), derived from TEST_MYSQL_URL."""
    url = make_url(MYSQL_URL)
    name = f"{url.database or 'test'}_migrations"
    return (
        mysql_server_url(MYSQL_URL),
        url.set(database=name).render_as_string(hide_password=False),
        name,
    )


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("mysql", marks=[pytest.mark.mysql, requires_mysql()]),
    ]
)
async def empty_database(request, tmp_path) -> AsyncIterator[str]:
    """The URL of an empty database that only this test uses."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    server_url, url, name = _mysql_migration_urls()
    await mysql_execute(server_url, f"DROP DATABASE IF EXISTS `{name}`")
    await mysql_execute(server_url, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield url
    finally:
        await mysql_execute(server_url, f"DROP DATABASE IF EXISTS `{name}`")


async def _migrate(url: str, direction: str, revision: str) -> None:
    # env.py runs its own event loop (asyncio.run), so Alembic gets a thread of its own.
    action = command.upgrade if direction == "up" else command.downgrade
    await asyncio.to_thread(action, alembic_config(url), revision)


async def _inspect(url: str, fn):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _delivery_without_recipient(connection: Connection) -> None:
    companies = Base.metadata.tables["companies"]
    deliveries = Base.metadata.tables["notification_deliveries"]
    company_id = connection.execute(
        companies.insert().values(name="Salon", slug="salon")
    ).inserted_primary_key[0]
    connection.execute(
        deliveries.insert().values(
            company_id=company_id, event_type="booking_confirmed", channel="email", recipient=None
        )
    )
    connection.commit()


def _two_companies_claiming_team_77(connection: Connection) -> None:
    for slug in ("a", "b"):
        connection.execute(
            text(
                "INSERT INTO companies (name, slug, timezone, language, calcom_team_id, settings,"
                " is_active, created_at, updated_at) VALUES (:slug, :slug, 'Europe/Berlin', 'de',"
                " 77, '{}', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"slug": slug},
        )
    connection.commit()


def _delivery_count(connection: Connection) -> int:
    return connection.execute(text("SELECT COUNT(*) FROM notification_deliveries")).scalar_one()


def _events(connection: Connection) -> list[tuple]:
    rows = connection.execute(
        text(
            "SELECT event_type, event_label, event_category, default_channels,"
            " is_system_event, is_active FROM notification_event_mappings ORDER BY event_type"
        )
    )
    return [tuple(row) for row in rows]


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


class TestMigrations:
    async def test_upgrade_downgrade_upgrade(self, empty_database):
        url = empty_database

        await _migrate(url, "up", "head")
        assert await _inspect(url, _tables) == EXPECTED_TABLES | {"alembic_version"}
        assert await _inspect(url, _revision) == _head()

        await _migrate(url, "down", "base")
        assert await _inspect(url, _tables) == {"alembic_version"}
        assert await _inspect(url, _revision) is None

        await _migrate(url, "up", "head")
        assert await _inspect(url, _tables) == EXPECTED_TABLES | {"alembic_version"}
        assert len(await _inspect(url, _events)) == 13, "re-upgrade must not duplicate events"

    async def test_downgrade_with_a_delivery_that_found_no_recipient(self, empty_database):
        # A customer without email or phone leaves a delivery with no recipient; the schema
        # before the outbox required one, and a downgrade must still get through.
        url = empty_database
        await _migrate(url, "up", "head")
        await _inspect(url, _delivery_without_recipient)

        await _migrate(url, "down", "0005")

        assert await _inspect(url, _revision) == "0005"
        assert await _inspect(url, _delivery_count) == 0

    async def test_upgrade_refuses_a_calcom_team_two_companies_claim_naming_it(
        self, empty_database
    ):
        url = empty_database
        await _migrate(url, "up", "0003")
        await _inspect(url, _two_companies_claiming_team_77)

        with pytest.raises(RuntimeError, match="calcom_team_id 77 is claimed more than once"):
            await _migrate(url, "up", "head")

        assert await _inspect(url, _revision) == "0003"

    async def test_thirteen_notification_events_are_seeded(self, empty_database):
        await _migrate(empty_database, "up", "head")

        events = await _inspect(empty_database, _events)

        assert len(events) == 13
        assert len({event[0] for event in events}) == 13
        for event_type, label, category, channels, is_system, is_active in events:
            assert label and label != event_type, event_type
            assert category, event_type
            if isinstance(channels, str):  # MariaDB's JSON is LONGTEXT; raw SQL returns text
                channels = json.loads(channels)
            assert channels and set(channels) <= CHANNELS, (event_type, channels)
            assert is_system and is_active, event_type
        assert {"booking_confirmed", "cancellation", "callback_request_received"} <= {
            event[0] for event in events
        }

    async def test_models_match_migrations(self, empty_database):
        await _migrate(empty_database, "up", "head")

        def diff(connection: Connection) -> list:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)

        assert await _inspect(empty_database, diff) == [], (
            "models and migrations differ: add a migration "
            "(alembic revision --autogenerate -m '...') and review it"
        )
