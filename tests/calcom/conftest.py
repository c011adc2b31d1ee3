"""A fake Cal.com reached through a real httpx client, and a client with a breaker."""

import httpx
import pytest

from app.cache import MemoryCache
from app.calcom.breaker import CircuitBreaker
from app.calcom.client import CalcomClient
from tools.fake_calcom import FakeCalcom, create_app


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeCalcom:
    return FakeCalcom()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def http(fake):
    transport = httpx.ASGITransport(app=create_app(fake))
    async with httpx.AsyncClient(transport=transport) as client:
        yield client


@pytest.fixture
def breaker(clock) -> CircuitBreaker:
    return CircuitBreaker(MemoryCache(), "calcom", clock=clock)


@pytest.fixture
def calcom(http, breaker) -> CalcomClient:
    return CalcomClient(
        http, "http://calcom.test/v2", "cal_test_key", breaker, read_timeout=0.5, write_timeout=0.5
    )


@pytest.fixture(autouse=True)
def _pinned(request):
    """Tests that run the service do so on the pinned clock with processing time on."""
    if "app" in request.fixturenames:
        request.getfixturevalue("pinned_clock")
