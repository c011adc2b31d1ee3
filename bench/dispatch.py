"""Notification dispatcher throughput (a Python-driven figure: the worker is not HTTP).

1,000 due outbox rows, half e-mail and half SMS, for seeded appointments, sent by the
worker's `Dispatcher` (one dispatcher, as `python -m app.cli worker` runs it) to a real SMTP
server (aiosmtpd, a process of its own) and a fake SMS provider (uvicorn, a process of its
own). Each row is claimed, composed (names, the spoken time), sent and marked sent in the
database, as in production.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import insert, select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import app.models  # noqa: F401  (every table registered: the outbox row refers to several)
from app.config import Settings
from app.db import create_engine, create_sessionmaker, transaction, utcnow
from app.notifications.channels import Channels
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import DeliveryStatus, NotificationDelivery
from app.scheduling.models import Appointment
from app.tenancy.models import Customer
from bench.seed import BenchSalon
from bench.server import ROOT, free_port, serve

ROWS = 1000


@dataclass
class DispatchFigure:
    rows: int
    seconds: float
    sent: int
    line: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def provider_app() -> Starlette:
    """A fake SMS/WhatsApp provider: takes every message."""

    async def messages(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"ok": True})

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/ready", ready, methods=["GET"]),
        ]
    )


@contextmanager
def smtp_server() -> Iterator[int]:
    """aiosmtpd in its own process, accepting and discarding every message."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        + ["-c", "aiosmtpd.handlers.Sink"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the local SMTP server (aiosmtpd) did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _queue(database_url: str, salon: BenchSalon, rows: int) -> None:
    """Due rows as the outbox writes them (a confirmation per appointment), and an e-mail
    address for every customer so the e-mail half has a recipient. Rows the earlier bench rows
    queued (their bookings' confirmations and reminders) are postponed: the figure is for
    exactly these rows."""
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await session.execute(
                update(NotificationDelivery)
                .where(NotificationDelivery.status == DeliveryStatus.PENDING)
                .values(next_attempt_at=utcnow() + timedelta(days=365))
            )
            for customer in (
                await session.execute(
                    select(Customer).where(Customer.company_id == salon.company_id)
                )
            ).scalars():
                customer.email = f"customer{customer.id}@bench.example"
            appointments = (
                await session.execute(
                    select(Appointment)
                    .where(Appointment.company_id == salon.company_id)
                    .order_by(Appointment.id)
                    .limit(rows)
                )
            ).scalars()
            now = utcnow()
            values = [
                {
                    "company_id": salon.company_id,
                    "event_type": "booking_confirmed",
                    "channel": "email" if index % 2 == 0 else "sms",
                    "payload": {
                        "fallback_channel": None,
                        "retry_count": 3,
                        "retry_delay_minutes": 5,
                        "template_override": None,
                        "appointment": {
                            "starts_at": appointment.starts_at.isoformat(),
                            "customer_id": appointment.customer_id,
                            "service_id": appointment.service_id,
                            "staff_id": appointment.staff_id,
                            "branch_id": appointment.branch_id,
                        },
                    },
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "appointment_id": appointment.id,
                }
                for index, appointment in enumerate(appointments)
            ]
            await session.execute(insert(NotificationDelivery), values)
    finally:
        await engine.dispose()


async def measure(database_url: str, salon: BenchSalon, rows: int = ROWS) -> DispatchFigure:
    await _queue(database_url, salon, rows)
    with (
        smtp_server() as smtp_port,
        serve("bench.dispatch:provider_app", ready_path="/ready") as provider_url,
    ):
        settings = Settings(
            _env_file=None,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_starttls=False,
            sms_provider_url=f"{provider_url}/v1/messages",
            sms_provider_token="bench",
        )
        engine = create_engine(database_url, pool_size=5, max_overflow=0)
        try:
            async with httpx.AsyncClient() as http:
                dispatcher = Dispatcher(create_sessionmaker(engine), Channels(settings, http))
                started = time.perf_counter()
                summary = await dispatcher.run()
                elapsed = time.perf_counter() - started
        finally:
            await engine.dispose()
    return DispatchFigure(rows, elapsed, summary.sent, summary.line)
