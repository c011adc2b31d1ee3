"""A test salon's service linked to the fake Cal.com, wired into the app as the runtime
wires the real one (client with its breaker, the calendar port)."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from app.calcom.breaker import CircuitBreaker
from app.calcom.calendar import CalcomCalendar
from app.calcom.client import CalcomClient
from app.tenancy.models import Service
from tools.fake_calcom import FakeCalcom, create_app


async def link_calcom(
    app, db, service_id: int, fake: FakeCalcom, event_type: int, **timeouts: float
) -> tuple[CircuitBreaker, httpx.AsyncClient]:
    """The service becomes Cal.com event type `event_type`; `timeouts`: the client's
    read_timeout / write_timeout. Returns the breaker and the HTTP client (close it)."""
    async with db() as session:
        await session.execute(
            update(Service).where(Service.id == service_id).values(calcom_event_type_id=event_type)
        )
        await session.commit()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(fake)))
    breaker = CircuitBreaker(app.state.cache, "calcom")
    app.state.calcom = CalcomClient(http, "http://calcom.test/v2", "cal_key", breaker, **timeouts)
    app.state.calendar = CalcomCalendar(app.state.calcom, app.state.cache)
    return breaker, http
