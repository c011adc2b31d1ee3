"""Per-company request limit: fixed one-minute windows counted in the shared cache."""

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.conftest import make_client

LIMIT = 3


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"rate_limit_per_minute": LIMIT})


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app) -> FakeClock:
    """Ten seconds into a minute, so the window has 50 s left."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC))
    app.state.now = clock
    return clock


async def spend_budget(client, requests: int = LIMIT) -> None:
    for _ in range(requests):
        response = await client.get("/api/v1/branches")
        assert response.status_code == 200, response.text


class TestRateLimit:
    async def test_request_over_the_limit_is_429_problem_with_retry_after(
        self, company_client, clock
    ):
        await spend_budget(company_client)
        response = await company_client.get("/api/v1/branches")
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "50"
        body = response.json()
        assert body["type"].endswith("/rate-limited")
        assert body["retry_after"] == 50

    async def test_limit_holds_until_the_window_ends_then_resets(self, company_client, clock):
        await spend_budget(company_client)
        clock.advance(49.5)
        still_limited = await company_client.get("/api/v1/branches")
        assert still_limited.status_code == 429
        assert still_limited.headers["retry-after"] == "1"
        clock.advance(0.5)
        await spend_budget(company_client)
        assert (await company_client.get("/api/v1/branches")).status_code == 429

    async def test_limit_is_per_company(self, company_client, other_client, clock):
        await spend_budget(company_client)
        assert (await company_client.get("/api/v1/branches")).status_code == 429
        await spend_budget(other_client)

    async def test_writes_count_and_a_refused_write_stores_nothing(self, company_client, db, clock):
        await spend_budget(company_client)
        response = await company_client.post(
            "/api/v1/customers", json={"name": "Max", "phone": "0151 12345678"}
        )
        assert response.status_code == 429
        assert (await company_client.get("/api/v1/customers")).status_code == 429
        clock.advance(60)
        assert (await company_client.get("/api/v1/customers")).json()["total"] == 0

    async def test_company_setting_overrides_the_default(self, app, db, clock):
        busy = await factories.make_tenant(
            db, name="Busy Salon", settings={"rate_limit_per_minute": LIMIT + 2}
        )
        async with make_client(app, busy.api_key) as client:
            await spend_budget(client, LIMIT + 2)
            assert (await client.get("/api/v1/branches")).status_code == 429
