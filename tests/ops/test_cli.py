"""Operator CLI against fresh SQLite files: migrate, seed-demo, create-company, create-api-key."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from app.cli import main
from app.config import Settings
from app.main import create_app
from tests.conftest import ROOT, STARTUP_SECONDS, make_client

KEY = re.compile(r"\bbk_[A-Za-z0-9_\-]{20,}")


@pytest.fixture
def database(tmp_path, monkeypatch) -> Path:
    """A path for a fresh SQLite file, selected through DATABASE_URL as an operator would."""
    path = tmp_path / "data" / "app.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)  # no stray .env from the working tree
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows} - {"alembic_version", "sqlite_sequence"}


async def _get(path: Path, api_key: str, url: str):
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}")
    application = create_app(settings)
    async with (
        LifespanManager(application, startup_timeout=STARTUP_SECONDS),
        make_client(application, api_key) as client,
    ):
        return await client.get(url)


class TestMigrate:
    def test_creates_the_schema_on_an_empty_file_and_shows_progress(self, database, capsys):
        code, out, _ = _run(capsys, "migrate")

        assert code == 0
        assert len(_tables(database)) == 25
        assert _count(database, "notification_event_mappings") == 13
        assert "current revision: none" in out
        assert "Running upgrade -> 0001" in out
        assert "25 tables" in out

    def test_second_run_has_nothing_to_do(self, database, capsys):
        _run(capsys, "migrate")
        code, out, _ = _run(capsys, "migrate")
        assert code == 0
        assert "Nothing to do" in out
        assert "Running upgrade" not in out

    def test_alembic_config_points_at_migrations_outside_the_source_tree(
        self, database, tmp_path, monkeypatch, capsys
    ):
        # The container image installs the package and ships alembic/ separately.
        elsewhere = tmp_path / "image"
        shutil.copytree(ROOT / "alembic", elsewhere / "alembic")
        shutil.copy(ROOT / "alembic.ini", elsewhere / "alembic.ini")
        monkeypatch.setenv("ALEMBIC_CONFIG", str(elsewhere / "alembic.ini"))

        code, _, _ = _run(capsys, "migrate")

        assert code == 0
        assert len(_tables(database)) == 25

    def test_missing_alembic_config_is_named(self, database, tmp_path, monkeypatch, capsys):
        monkeypatch.setenv("ALEMBIC_CONFIG", str(tmp_path / "nowhere.ini"))
        code, _, err = _run(capsys, "migrate")
        assert code == 1
        assert "nowhere.ini not found" in err and "ALEMBIC_CONFIG" in err

    def test_unreachable_database_says_what_to_check(self, monkeypatch, tmp_path, capsys):
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DATABASE_URL", "mysql+asyncmy://root:s3cret@127.0.0.1:1/nope")
        code, _, err = _run(capsys, "migrate")
        assert code == 1
        assert "cannot reach the database" in err and "DATABASE_URL" in err
        assert "s3cret" not in err, "passwords are masked"


class TestSeedDemo:
    async def test_prints_a_key_that_authenticates(self, database, capsys):
        await asyncio.to_thread(main, ["migrate"])
        capsys.readouterr()

        code = await asyncio.to_thread(main, ["seed-demo", "--base-url", "http://demo:9000"])
        out = capsys.readouterr().out

        assert code == 0
        (api_key,) = set(KEY.findall(out))
        assert f'curl -H "Authorization: Bearer {api_key}" http://demo:9000/api/v1/branches' in out
        assert (_count(database, "branches"), _count(database, "staff")) == (2, 4)
        with sqlite3.connect(database) as connection:
            colour = connection.execute(
                "SELECT duration_minutes, initial_duration, processing_duration, final_duration"
                " FROM services WHERE name = 'Colour'"
            ).fetchone()
        assert colour == (90, 30, 30, 30)
        response = await _get(database, api_key, "/api/v1/branches")
        assert response.status_code == 200
        assert response.json()["total"] == 2

    def test_running_twice_does_not_duplicate(self, database, capsys):
        _run(capsys, "migrate")
        _run(capsys, "seed-demo")
        tables = ("companies", "branches", "staff", "services", "customers", "api_keys")
        before = {table: _count(database, table) for table in tables}

        code, out, _ = _run(capsys, "seed-demo")

        assert code == 0
        assert "already exists" in out
        assert "create-api-key 1 --name demo" in out, "says how to get a new key"
        assert not KEY.search(out)
        assert {table: _count(database, table) for table in tables} == before

    def test_unmigrated_database_says_run_make_migrate(self, database, capsys):
        code, out, err = _run(capsys, "seed-demo")
        assert code == 1
        assert "database not migrated" in err and "make migrate" in err
        assert out == ""


class TestCreateCompanyAndKey:
    async def test_new_company_gets_a_working_key(self, database, capsys):
        await asyncio.to_thread(main, ["migrate"])
        code = await asyncio.to_thread(
            main,
            ["create-company", "Salon Nord", "--timezone", "Europe/Vienna", "--language", "en"],
        )
        out = capsys.readouterr().out
        assert code == 0
        company_id = int(re.search(r"Created company (\d+)", out).group(1))
        assert f"create-api-key {company_id} --name" in out, "names the next step"

        code = await asyncio.to_thread(main, ["create-api-key", str(company_id), "--name", "desk"])
        out = capsys.readouterr().out
        assert code == 0
        (api_key,) = set(KEY.findall(out))

        response = await _get(database, api_key, "/api/v1/company")
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["name"], body["timezone"], body["language"]) == (
            company_id,
            "Salon Nord",
            "Europe/Vienna",
            "en",
        )

    def test_duplicate_slug_is_refused_with_a_hint(self, database, capsys):
        _run(capsys, "migrate")
        _run(capsys, "create-company", "Salon Nord")
        code, _, err = _run(capsys, "create-company", "Salon Nord")
        assert code == 1
        assert "already exists" in err and "--slug" in err
        assert _count(database, "companies") == 1

    def test_unknown_timezone_is_refused(self, database, capsys):
        _run(capsys, "migrate")
        code, _, err = _run(capsys, "create-company", "Salon", "--timezone", "Mars/Olympus")
        assert code == 1
        assert "unknown timezone 'Mars/Olympus'" in err
        assert _count(database, "companies") == 0

    def test_key_for_unknown_company_is_refused(self, database, capsys):
        _run(capsys, "migrate")
        code, _, err = _run(capsys, "create-api-key", "42", "--name", "desk")
        assert code == 1
        assert "Company 42 not found" in err and "create-company" in err
        assert _count(database, "api_keys") == 0


def test_module_entry_point_runs_migrate_and_seed(tmp_path):
    """`python -m app.cli` as `make run` calls it: exit codes and output."""
    path = tmp_path / "app.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{path}", "PYTHONPATH": str(ROOT)}

    def cli(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    migrated, seeded, usage = cli("migrate"), cli("seed-demo"), cli()

    assert migrated.returncode == 0, migrated.stderr
    assert "latest" in migrated.stdout
    assert seeded.returncode == 0, seeded.stderr
    assert KEY.search(seeded.stdout)
    assert usage.returncode == 2 and "COMMAND" in usage.stderr
