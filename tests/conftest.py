"""Backend matrix and app fixtures.

SQLite and the in-memory cache always; MariaDB/MySQL when TEST_MYSQL_URL is set and Redis
when TEST_REDIS_URL is set (CI runs the suite once each way). The schema is built once per
run by the Alembic migrations; tests commit for real and every table is emptied afterwards,
so concurrency tests see exactly what production sees.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from asgi_lifespan import LifespanManager
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import FeatureFlags, Settings
from app.db import create_engine
from app.main import create_app
from app.models import Base
from tests import factories

pytest_plugins = ["tests.salon"]

# Every test builds an app, engines and sessions that die as reference cycles, and the
# collector's full passes over them pause the suite for up to 6 s at a time (measured on
# tests/voice + tests/tenancy: 50 s of 156). What is imported by now lives for the whole run
# and is moved out of those passes (46 s of 146); an app's startup is given time to outlast
# a pause (asgi-lifespan's 5 s default once timed out in one).
gc.freeze()
STARTUP_SECONDS = 60

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "test-admin-key-0123456789abcdef"
MYSQL_URL = os.environ.get("TEST_MYSQL_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _service_variables() -> set[str]:
    names = {name.upper() for name in Settings.model_fields if name != "features"}
    return names | {f"FEATURE_{name.upper()}" for name in FeatureFlags.model_fields}


# The suite is hermetic: no variable of the service's (set by a developer, or by `make run`
# through `.env`) may change what a test sees. TEST_MYSQL_URL / TEST_REDIS_URL select the
# backends and are read above; the service's own variables are dropped for the whole run,
# and tests run in an empty directory (below), where no `.env` is found.
for _name in _service_variables() & set(os.environ):
    del os.environ[_name]


@pytest.fixture(scope="session", autouse=True)
def _away_from_dotenv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(previous)


# Rows seeded by migrations survive the per-test cleanup.
KEEP_TABLES = {"notification_event_mappings"}


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"database: {'MySQL/MariaDB ' + MYSQL_URL if MYSQL_URL else 'SQLite'}",
        f"cache: {'Redis ' + REDIS_URL if REDIS_URL else 'in-memory'}",
    ]


def mysql_server_url(url: str) -> str:
    return make_url(url).set(database="").render_as_string(hide_password=False)


async def mysql_execute(server_url: str, statement: str) -> None:
    engine = create_engine(server_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _recreate_mysql_database(url: str) -> None:
    # Dropped rather than downgraded: a database left by an earlier run may hold rows a
    # downgrade cannot narrow (a NULL that a restored NOT NULL refuses), and CI may reuse it.
    name = make_url(url).database
    await mysql_execute(mysql_server_url(url), f"DROP DATABASE IF EXISTS `{name}`")
    await mysql_execute(mysql_server_url(url), f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if MYSQL_URL:
        url = MYSQL_URL
        asyncio.run(_recreate_mysql_database(url))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    command.upgrade(alembic_config(url), "head")
    yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        environment="test",
        database_url=database_url,
        redis_url=REDIS_URL,
        admin_api_key=ADMIN_KEY,
        rate_limit_per_minute=10_000,
        log_format="text",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=STARTUP_SECONDS):
        if REDIS_URL:
            await application.state.cache._redis.flushdb()
        try:
            yield application
        finally:
            await _empty_tables(application.state.sessionmaker)


async def _empty_tables(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                await session.execute(table.delete())
        await session.commit()


@pytest.fixture
def db(app) -> async_sessionmaker[AsyncSession]:
    """The app's own sessionmaker, for arranging data and checking what was stored."""
    return app.state.sessionmaker


def make_client(app, api_key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as c:
        yield c


@pytest.fixture
async def admin_client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, ADMIN_KEY) as c:
        yield c


@pytest.fixture
async def tenant(db) -> factories.TenantFixture:
    return await factories.make_tenant(db, name="Salon Alpha")


@pytest.fixture
async def other_tenant(db) -> factories.TenantFixture:
    return await factories.make_tenant(db, name="Salon Beta")


@pytest.fixture
async def company_client(app, tenant) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, tenant.api_key) as c:
        yield c


@pytest.fixture
async def other_client(app, other_tenant) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, other_tenant.api_key) as c:
        yield c


def requires_mysql() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not MYSQL_URL, reason="TEST_MYSQL_URL not set")


async def table_count(db, table: str) -> int:
    async with db() as session:
        return (await session.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one()
