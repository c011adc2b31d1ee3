"""A real SMTP server (aiosmtpd) and a fake SMS provider for the dispatcher."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.notifications.channels import Channels
from app.notifications.dispatcher import Dispatcher


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content)
        message["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture(autouse=True)
def _pinned(request):
    """Tests that run the service do so on the pinned clock with processing time on."""
    if "app" in request.fixturenames:
        request.getfixturevalue("pinned_clock")


@pytest.fixture
def smtp():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@dataclass
class FakeProvider:
    """Answers `statuses` in turn (then 200) and records what it was sent."""

    statuses: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def messages(request: Request) -> JSONResponse:
            self.received.append(await request.json())
            self.tokens.append(request.headers.get("authorization", ""))
            status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({"ok": status < 400}, status_code=status)

        return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
async def dispatcher(app, db, smtp, provider):
    controller, _ = smtp
    settings = app.state.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": controller.port,
            "smtp_starttls": False,
            "smtp_from": "Demo Salon <salon@example.com>",
            "sms_provider_url": "http://provider.test/v1/messages",
            "sms_provider_token": "prov_token",
        }
    )
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=provider.app()))
    try:
        yield Dispatcher(db, Channels(settings, http), clock=lambda: app.state.now())
    finally:
        await http.aclose()
