"""Operator commands: `booking migrate | seed-demo | create-company | create-api-key`.

Each command reads Settings (environment and `.env`), opens its own engine, commits once
and prints what it did. A failure prints one line that says what to do next and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.cache import MemoryCache
from app.config import Settings
from app.db import create_engine, create_sessionmaker, transaction, utcnow
from app.errors import DomainError
from app.logging import configure_logging
from app.ops.jobs import (
    dispatch_notifications,
    escalate_callbacks,
    parse_since,
    reconcile_calcom,
)
from app.ops.runtime import service_runtime
from app.ops.seed import DEMO_SLUG, seed_demo
from app.ops.worker import Task, run_worker, standard_tasks
from app.scheduling.health import ProcessingTimeHealthService
from app.tenancy.companies import ApiKeyService, CompanyService
from app.voice.definitions import retell_tools, vapi_tools

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE_URL = "http://localhost:8000"


class CliError(Exception):
    """A failure the operator can act on; the message says what to do next."""


# --- entry point -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="booking",
        description="Operate the booking service. Settings come from the environment and .env "
        "(DATABASE_URL, ...).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    migrate = commands.add_parser("migrate", help="upgrade the database schema to the latest")
    migrate.set_defaults(handler=run_migrate)

    seed = commands.add_parser(
        "seed-demo", help=f"create the demo salon ({DEMO_SLUG}) and print an API key for it"
    )
    seed.add_argument("--base-url", default=DEFAULT_BASE_URL, help="used in the curl example")
    seed.set_defaults(handler=run_seed_demo)

    company = commands.add_parser("create-company", help="create a company (tenant)")
    company.add_argument("name", help='display name, e.g. "Salon Schön"')
    company.add_argument("--slug", help="unique short name (default: derived from the name)")
    company.add_argument("--timezone", help="IANA name (default: DEFAULT_TIMEZONE setting)")
    company.add_argument("--language", choices=["de", "en"], help="spoken/written language")
    company.set_defaults(handler=run_create_company)

    key = commands.add_parser("create-api-key", help="issue an API key for a company")
    key.add_argument("company_id", type=int)
    key.add_argument("--name", required=True, help='what the key is for, e.g. "front desk"')
    key.add_argument("--base-url", default=DEFAULT_BASE_URL, help="used in the curl example")
    key.set_defaults(handler=run_create_api_key)

    tools = commands.add_parser(
        "voice-tools",
        help="print the voice functions as JSON to paste into a Retell agent or Vapi assistant",
    )
    tools.add_argument("dialect", choices=["retell", "vapi"])
    tools.add_argument(
        "--base-url",
        required=True,
        help="where Retell/Vapi reach this service, e.g. https://booking.example.com",
    )
    tools.set_defaults(handler=run_voice_tools)
    health = commands.add_parser("health", help="health reports; exit code 0 healthy, 1 issues")
    checks = health.add_subparsers(dest="check", required=True, metavar="CHECK")
    processing = checks.add_parser(
        "processing-time",
        help="do today's appointments of split services have their phases?",
    )
    processing.add_argument("--details", action="store_true", help="list every orphan")
    processing.add_argument("--fix", action="store_true", help="rebuild missing phases")
    processing.add_argument("--company-id", type=int, help="one company only (default: all)")
    processing.set_defaults(handler=run_processing_time_health)

    jobs = commands.add_parser("jobs", help="operator jobs (the worker runs them on a schedule)")
    job = jobs.add_subparsers(dest="job", required=True, metavar="JOB")
    reconcile = job.add_parser(
        "reconcile-calcom",
        help="repair local appointments from Cal.com's bookings (lost webhooks, timeouts)",
    )
    reconcile.add_argument(
        "--since", default="24h", help="bookings changed since: 24h, 90m, 7d or an ISO moment"
    )
    reconcile.add_argument("--company", type=int, help="one company only (default: all)")
    reconcile.set_defaults(handler=run_reconcile_calcom)
    dispatch = job.add_parser(
        "dispatch-notifications", help="send the notifications that are due (e-mail, SMS, ...)"
    )
    dispatch.add_argument("--once", action="store_true", help="one pass, then exit")
    dispatch.add_argument("--limit", type=int, help="at most this many messages per pass")
    dispatch.set_defaults(handler=run_dispatch_notifications)
    escalate = job.add_parser(
        "escalate-callbacks",
        help="escalate overdue callback requests (once per SLA period; the worker does this "
        "every minute)",
    )
    escalate.add_argument("--company", type=int, help="one company only (default: all)")
    escalate.set_defaults(handler=run_escalate_callbacks)

    worker = commands.add_parser(
        "worker", help="run the notification dispatcher, callback escalation and reconcile"
    )
    worker.set_defaults(handler=run_worker_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable = args.handler
    try:
        settings = _settings()
        if inspect.iscoroutinefunction(handler):
            status = asyncio.run(handler(args, settings))
        else:
            status = handler(args, settings)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return status or 0


# --- commands ----------------------------------------------------------------------------


def run_migrate(args: argparse.Namespace, settings: Settings) -> None:
    url = settings.database_url
    head = _head_revision()
    print(f"Migrating {_display_url(url)}", flush=True)
    before = asyncio.run(_revision_of(url))
    print(f"  current revision: {before or 'none (empty database)'}; target: {head}", flush=True)
    if before == head:
        print(f"Nothing to do: the database is at the latest revision ({head}).")
        return
    started = time.perf_counter()
    with _migration_progress():
        try:
            command.upgrade(_alembic_config(url), "head")
        except CommandError as exc:
            raise CliError(
                f"{exc}. The database may have been migrated by a newer version of this "
                "service: deploy that version, or restore a matching backup."
            ) from exc
    tables = asyncio.run(_table_count(url))
    elapsed = time.perf_counter() - started
    print(f"Done in {elapsed:.1f} s: database at revision {head} (latest), {tables} tables.")


async def run_seed_demo(args: argparse.Namespace, settings: Settings) -> None:
    async with _database(settings) as sessionmaker, transaction(sessionmaker) as session:
        seeded = await seed_demo(session)
    if not seeded.created:
        print(
            f"The demo company ({DEMO_SLUG}, id {seeded.company_id}) already exists; nothing "
            "was changed.\nIts API keys are stored hashed and cannot be shown again. "
            f"For a new key run:\n  {_self()} create-api-key {seeded.company_id} --name demo"
        )
        return
    counts = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in seeded.counts.items())
    print(f"Created the demo company {DEMO_SLUG} (id {seeded.company_id}): {counts}.")
    print("Services: Cut 30 min, Cut & blow-dry 45 min, Beard trim 15 min, and Colour 90 min")
    print("with processing time (30 min work, 30 min processing, 30 min work).")
    _print_key(seeded.api_key, "/api/v1/branches", args.base_url)


async def run_create_company(args: argparse.Namespace, settings: Settings) -> None:
    timezone = args.timezone or settings.default_timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CliError(
            f"unknown timezone {timezone!r}: use an IANA name such as Europe/Berlin"
        ) from exc
    data = {
        "name": args.name,
        "timezone": timezone,
        "language": args.language or settings.default_language,
    }
    if args.slug:
        data["slug"] = args.slug
    async with _database(settings) as sessionmaker, transaction(sessionmaker) as session:
        try:
            company = await CompanyService(session, MemoryCache()).create(data)
        except DomainError as exc:
            raise CliError(f"{exc.detail} Choose another --slug.") from exc
    print(
        f"Created company {company.id} {company.name!r} (slug {company.slug}, "
        f"timezone {company.timezone}, language {company.language})."
    )
    print(f"Next, issue an API key for it:\n  {_self()} create-api-key {company.id} --name NAME")


async def run_create_api_key(args: argparse.Namespace, settings: Settings) -> None:
    async with _database(settings) as sessionmaker, transaction(sessionmaker) as session:
        try:
            company = await CompanyService(session, MemoryCache()).get(args.company_id)
        except DomainError as exc:
            raise CliError(f"{exc.detail} Create one with: {_self()} create-company NAME") from exc
        issued = await ApiKeyService(session, MemoryCache()).issue(company.id, args.name)
    print(
        f"Issued API key {issued.api_key.id} {args.name!r} (prefix {issued.api_key.prefix}) "
        f"for company {company.id} {company.name!r}."
    )
    if not company.is_active:
        print("Note: the company is inactive; the key works once it is reactivated.")
    _print_key(issued.raw_key, "/api/v1/company", args.base_url)


# --- helpers -----------------------------------------------------------------------------


async def run_processing_time_health(args: argparse.Namespace, settings: Settings) -> int:
    async with _database(settings) as sessionmaker, transaction(sessionmaker) as session:
        service = ProcessingTimeHealthService(session, settings.features, args.company_id)
        report = await service.check(fix=args.fix)
    print(
        f"Processing time today: {report.split_appointments} split appointments, "
        f"{report.with_phases} with phases, success rate {report.success_rate:.1%}, "
        f"{len(report.orphans)} orphans" + (f", {report.fixed} fixed" if args.fix else "")
    )
    if args.details:
        for orphan in report.orphans:
            print(
                f"  orphan: appointment {orphan.appointment_id} (company {orphan.company_id}, "
                f"service {orphan.service_id}) at {orphan.starts_at.isoformat()}"
            )
    if report.healthy:
        print("Healthy.")
        return 0
    print(f"Unhealthy: run `{_self()} health processing-time --fix` to rebuild the phases.")
    return 1


async def run_reconcile_calcom(args: argparse.Namespace, settings: Settings) -> int:
    try:
        since = parse_since(args.since, utcnow())
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    async with _database(settings):
        pass  # refuses an unmigrated database with the command that fixes it
    async with service_runtime(settings) as runtime:
        return await reconcile_calcom(runtime, since, args.company)


def run_voice_tools(args: argparse.Namespace, settings: Settings) -> int:
    if not args.base_url.startswith(("https://", "http://")):
        raise CliError(f"--base-url must be an http(s) URL, not {args.base_url!r}")
    tools = retell_tools(args.base_url) if args.dialect == "retell" else vapi_tools(args.base_url)
    print(json.dumps(tools, indent=2, ensure_ascii=False))
    return 0


async def run_escalate_callbacks(args: argparse.Namespace, settings: Settings) -> int:
    async with _database(settings):
        pass  # refuses an unmigrated database with the command that fixes it
    async with service_runtime(settings) as runtime:
        await escalate_callbacks(runtime, args.company)
    return 0


async def run_dispatch_notifications(args: argparse.Namespace, settings: Settings) -> int:
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be 1 or more")
    async with _database(settings):
        pass  # refuses an unmigrated database with the command that fixes it
    async with service_runtime(settings) as runtime:
        if args.once:
            await dispatch_notifications(runtime, limit=args.limit)
            return 0
        print(
            f"Dispatching every {settings.worker_dispatch_seconds:g} s; Ctrl-C stops "
            f"(or `{_self()} worker` for every job)."
        )
        tasks = [
            Task(
                "dispatch-notifications",
                settings.worker_dispatch_seconds,
                lambda: dispatch_notifications(runtime, limit=args.limit),
            )
        ]
        await run_worker(runtime, tasks)
    return 0


async def run_worker_command(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    async with _database(settings):
        pass
    async with service_runtime(settings) as runtime:
        await run_worker(runtime, standard_tasks(runtime))
    return 0


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise CliError(f"invalid configuration (environment or .env):\n{exc}") from exc


def _print_key(raw_key: str, path: str, base_url: str) -> None:
    print("\nAPI key (shown only now; store it somewhere safe):\n")
    print(f"    {raw_key}\n")
    print("Try it:")
    print(f'    curl -H "Authorization: Bearer {raw_key}" {base_url.rstrip("/")}{path}')


def _self() -> str:
    """How to run this CLI again, written the way the operator just ran it."""
    program = Path(sys.argv[0])
    if program.name == "booking":
        return "booking" if shutil.which("booking") == str(program) else _relative(program)
    return f"{_relative(Path(sys.executable))} -m app.cli"


def _relative(path: Path) -> str:
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _alembic_config(database_url: str) -> Config:
    # A source checkout has alembic.ini beside app/; an installed package (the container
    # image) points ALEMBIC_CONFIG at its copy, as the alembic command itself would.
    ini = Path(os.environ.get("ALEMBIC_CONFIG") or ROOT / "alembic.ini")
    if not ini.is_file():
        raise CliError(
            f"{ini} not found: run from a source checkout, or set ALEMBIC_CONFIG to the "
            "alembic.ini that sits beside the alembic/ folder"
        )
    config = Config(str(ini))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def _head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()


@asynccontextmanager
async def _engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url, pool_size=2, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _revision_of(url: str) -> str | None:
    async with _engine(url) as engine:
        return await _current_revision(engine, url)


async def _current_revision(engine: AsyncEngine, url: str) -> str | None:
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    except (DBAPIError, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise CliError(
            f"cannot reach the database at {_display_url(url)}: {reason}. "
            "Check DATABASE_URL and that the database server is running."
        ) from exc


async def _table_count(url: str) -> int:
    async with _engine(url) as engine, engine.connect() as connection:
        names = await connection.run_sync(lambda sync: sa_inspect(sync).get_table_names())
    return len([name for name in names if name != "alembic_version"])


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A sessionmaker on a database whose schema is at the revision this code expects."""
    url = settings.database_url
    async with _engine(url) as engine:
        current, head = await _current_revision(engine, url), _head_revision()
        if current is None:
            raise CliError(
                f"database not migrated ({_display_url(url)}): run `make migrate` "
                f"(or `{_self()} migrate`) first"
            )
        if current != head:
            raise CliError(
                f"database schema is at revision {current}, this code expects {head}: "
                f"run `make migrate` (or `{_self()} migrate`)"
            )
        yield create_sessionmaker(engine)


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Running "):
            print(f"  {' '.join(message.split())}", flush=True)


@contextmanager
def _migration_progress() -> Iterator[None]:
    """Prints each migration step as Alembic runs it."""
    logger = logging.getLogger("alembic.runtime.migration")
    handler, level = _ProgressHandler(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
