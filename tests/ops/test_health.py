"""Health, readiness, metrics, request ids, the 500 problem and structured log lines."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.config import Settings
from app.logging import JsonFormatter
from app.main import create_app
from tests.conftest import REDIS_URL, STARTUP_SECONDS, make_client


def _dead_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def _running(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=STARTUP_SECONDS):
        yield application


class TestLiveness:
    async def test_live_answers_without_touching_dependencies(self, client):
        response = await client.get("/health/live")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_live_stays_up_when_the_database_is_down(self, settings):
        dead_db = settings.model_copy(
            update={"database_url": f"mysql+asyncmy://root@127.0.0.1:{_dead_port()}/nope"}
        )
        async with _running(dead_db) as application, make_client(application) as client:
            assert (await client.get("/health/live")).status_code == 200


class TestReadiness:
    async def test_ready_reports_each_component(self, client):
        response = await client.get("/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["database"] == {"ok": True, "detail": "ok"}
        if REDIS_URL:
            assert body["checks"]["redis"]["ok"] is True
        else:
            assert "redis" not in body["checks"], "no Redis configured: nothing to check"

    async def test_unreachable_database_is_503_naming_the_database(self, settings):
        dead_db = settings.model_copy(
            update={
                "database_url": f"mysql+asyncmy://root@127.0.0.1:{_dead_port()}/nope",
                "redis_url": None,
            }
        )
        async with _running(dead_db) as application, make_client(application) as client:
            response = await client.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["database"]["detail"]

    async def test_redis_down_is_503_but_requests_are_still_served(self, settings, tenant):
        redis_down = settings.model_copy(
            update={"redis_url": f"redis://127.0.0.1:{_dead_port()}/0"}
        )
        async with (
            _running(redis_down) as application,
            make_client(application, tenant.api_key) as client,
        ):
            ready = await client.get("/health/ready")
            first = await client.get("/api/v1/branches")
            second = await client.get(f"/api/v1/branches/{tenant.branch_id}")
            cache = application.state.cache

        assert ready.status_code == 503
        assert ready.json()["checks"]["database"]["ok"] is True
        assert ready.json()["checks"]["redis"]["ok"] is False
        assert "fallback" in ready.json()["checks"]["redis"]["detail"]
        # Authentication, rate limiting and key caching ran on the in-process fallback.
        assert first.status_code == 200, first.text
        assert [branch["id"] for branch in first.json()["items"]] == [tenant.branch_id]
        assert second.status_code == 200
        assert cache.degraded is True


class TestMetrics:
    async def test_requests_are_counted_by_route_template_and_status(
        self, company_client, client, tenant
    ):
        assert (await company_client.get(f"/api/v1/branches/{tenant.branch_id}")).status_code == 200
        assert (await company_client.get("/api/v1/branches/999999")).status_code == 404
        assert (await client.get("/no/such/route")).status_code == 404

        response = await client.get("/metrics")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        route = 'route="/api/v1/branches/{branch_id}"'
        assert f'http_requests_total{{method="GET",{route},status="200"}} 1.0' in text
        assert f'http_requests_total{{method="GET",{route},status="404"}} 1.0' in text
        assert 'route="unmatched",status="404"' in text
        # Concrete ids never become labels: they would grow the series without bound.
        assert f"/api/v1/branches/{tenant.branch_id}" not in text
        assert "/no/such/route" not in text
        assert f'http_request_duration_seconds_count{{method="GET",{route}}} 2.0' in text


class TestRequestId:
    async def test_given_request_id_is_echoed(self, client):
        response = await client.get("/health/live", headers={"X-Request-ID": "abc-123.x_y"})
        assert response.headers["x-request-id"] == "abc-123.x_y"

    async def test_request_id_is_generated_when_absent(self, client):
        first = await client.get("/health/live")
        second = await client.get("/health/live")
        assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    async def test_unsafe_request_id_is_replaced(self, client):
        response = await client.get("/health/live", headers={"X-Request-ID": "bad id\r\nx"})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])

    async def test_request_id_is_in_problem_bodies(self, client):
        response = await client.get("/api/v1/branches", headers={"X-Request-ID": "req-401"})
        assert response.status_code == 401
        assert response.json()["request_id"] == "req-401"


class _JsonLines(logging.Handler):
    """Formats at emit time: request and company ids live in context variables."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_logs() -> Iterator[_JsonLines]:
    handler = _JsonLines()
    app_logger = logging.getLogger("app")
    previous_level = app_logger.level
    app_logger.addHandler(handler)
    app_logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        app_logger.removeHandler(handler)
        app_logger.setLevel(previous_level)


class TestUnhandledError:
    async def test_500_is_a_problem_with_request_id_and_no_internals(self, settings, json_logs):
        application = create_app(settings)

        async def explode() -> None:
            raise RuntimeError("secret internal detail")

        application.add_api_route("/test-only/explode", explode)
        async with (
            LifespanManager(application, startup_timeout=STARTUP_SECONDS),
            make_client(application) as client,
        ):
            response = await client.get("/test-only/explode", headers={"X-Request-ID": "boom-1"})

        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["x-request-id"] == "boom-1"
        body = response.json()
        assert body["status"] == 500
        assert body["type"].endswith("/internal-error")
        assert body["request_id"] == "boom-1"
        for leaked in ("Traceback", "RuntimeError", "secret internal detail", ".py"):
            assert leaked not in response.text
        # The traceback goes to the log, tied to the same request id.
        errors = [line for line in json_logs.lines if line["event"] == "request.unhandled_error"]
        assert len(errors) == 1
        assert errors[0]["request_id"] == "boom-1"
        assert "secret internal detail" in errors[0]["exc"]


class TestLogLines:
    async def test_access_log_line_carries_request_and_company_id(
        self, company_client, tenant, json_logs
    ):
        response = await company_client.get("/api/v1/branches", headers={"X-Request-ID": "log-1"})
        assert response.status_code == 200

        access = [line for line in json_logs.lines if line["event"] == "http.request"]
        assert len(access) == 1
        line = access[0]
        assert line["request_id"] == "log-1"
        assert line["company_id"] == tenant.company_id
        assert line["route"] == "/api/v1/branches"
        assert line["status"] == 200
        assert line["level"] == "info"
        assert tenant.api_key not in json.dumps(json_logs.lines), "keys are never logged"

    async def test_unauthenticated_request_logs_no_company(self, client, json_logs):
        await client.get("/api/v1/branches", headers={"X-Request-ID": "log-2"})
        (line,) = [line for line in json_logs.lines if line["event"] == "http.request"]
        assert line["request_id"] == "log-2"
        assert "company_id" not in line
        assert line["status"] == 401


class TestLogFormat:
    """`auto`: text for a person at a terminal, JSON lines for Docker and CI."""

    @staticmethod
    def _formatter(monkeypatch, fmt: str, tty: bool) -> logging.Formatter:
        import sys

        from app.logging import JsonFormatter, configure_logging

        monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
        root = logging.getLogger()
        saved = root.handlers[:], root.level
        try:
            configure_logging("INFO", fmt)
            formatter = root.handlers[0].formatter
        finally:
            root.handlers[:], root.level = saved
            logging.getLogger("uvicorn.access").disabled = False
        return formatter, JsonFormatter

    def test_auto_is_text_on_a_terminal(self, monkeypatch):
        formatter, json_formatter = self._formatter(monkeypatch, "auto", tty=True)
        assert not isinstance(formatter, json_formatter)

    def test_auto_is_json_when_piped(self, monkeypatch):
        formatter, json_formatter = self._formatter(monkeypatch, "auto", tty=False)
        assert isinstance(formatter, json_formatter)

    def test_an_explicit_choice_wins(self, monkeypatch):
        formatter, json_formatter = self._formatter(monkeypatch, "json", tty=True)
        assert isinstance(formatter, json_formatter)


async def test_405_lists_every_method_of_the_path(company_client, salon):
    response = await company_client.post(f"/api/v1/services/{salon.cut_id}")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}
    assert response.headers["content-type"] == "application/problem+json"
