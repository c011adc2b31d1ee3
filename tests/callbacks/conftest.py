"""Callback tests run on a clock they move by hand, in the salon of tests/salon.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.callbacks.models import CallbackEscalation, CallbackRequest
from tests.salon import NOW

PHONE = "+4915112345678"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(app) -> Clock:
    """The app's clock, starting at NOW (Monday 2026-11-30 08:00 in Berlin)."""
    pinned = Clock(NOW)
    app.state.now = pinned
    return pinned


@dataclass
class Recorder:
    """A callback listener that remembers what it was told."""

    calls: list[tuple[int, str]] = field(default_factory=list)

    async def __call__(self, session: Any, callback: CallbackRequest, event: str) -> None:
        assert callback.id is not None  # flushed before the listeners run
        self.calls.append((callback.id, event))


@pytest.fixture
def listener(app) -> Recorder:
    recorder = Recorder()
    app.state.callback_listeners = [recorder]
    return recorder


async def ask(client, **body: Any):
    """POST /api/v1/callbacks with a default phone."""
    return await client.post("/api/v1/callbacks", json={"phone": PHONE, **body})


async def created(client, **body: Any) -> dict[str, Any]:
    response = await ask(client, **body)
    assert response.status_code == 201, response.text
    return response.json()


async def stored(db, callback_id: int) -> CallbackRequest:
    async with db() as session:
        callback = await session.get(CallbackRequest, callback_id)
        assert callback is not None
        return callback


async def escalations(db, callback_id: int | None = None) -> list[CallbackEscalation]:
    async with db() as session:
        stmt = select(CallbackEscalation).order_by(CallbackEscalation.id)
        if callback_id is not None:
            stmt = stmt.where(CallbackEscalation.callback_request_id == callback_id)
        return list((await session.execute(stmt)).scalars())


def moment(text: str) -> datetime:
    """A datetime of an answer (ISO 8601 with an offset; `Z` for UTC)."""
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None, text
    return parsed
