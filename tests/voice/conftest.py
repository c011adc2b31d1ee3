"""A salon reachable by phone, and a voice agent that calls it as Retell or as Vapi.

Retell's requests are signed with Retell's own SDK (`symmetric["sign"]`), so a request
this service accepts is one Retell could have sent; Vapi's carry the shared secret.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from retell.lib.webhook_auth import symmetric
from sqlalchemy import update

from app.tenancy.models import Company
from app.voice.speech import message_problems
from tests import factories
from tests.conftest import make_client

RETELL_KEY = "key_retell_test_0123456789"
VAPI_SECRET = "vapi-secret-test-0123456789"
SALON_NUMBER = "+49301234567"
CALLER = "+4915112345678"
_call_ids = itertools.count(1)


def sign(raw: bytes | str, timestamp_ms: int | None = None, key: str = RETELL_KEY) -> str:
    text = raw.decode() if isinstance(raw, bytes) else raw
    return symmetric["sign"](text, key, timestamp_ms)


@dataclass
class Reply:
    """One function's answer, as either platform delivered it."""

    status: int
    success: bool
    message: str
    data: dict[str, Any]

    def speakable(self) -> Reply:
        problems = message_problems(self.message)
        assert not problems, f"{self.message!r}: {problems}"
        return self


@dataclass
class Agent:
    """A voice agent on one call: Retell's or Vapi's dialect, one caller, one dialled number."""

    http: httpx.AsyncClient
    dialect: str = "retell"
    from_number: str | None = CALLER
    to_number: str = SALON_NUMBER
    call_id: str = field(default_factory=lambda: f"call_{next(_call_ids)}")
    metadata: dict[str, Any] = field(default_factory=dict)

    def on_another_call(self, **changes: Any) -> Agent:
        return Agent(
            self.http,
            changes.get("dialect", self.dialect),
            changes.get("from_number", self.from_number),
            changes.get("to_number", self.to_number),
            metadata=changes.get("metadata", self.metadata),
        )

    async def __call__(self, function: str, /, **args: Any) -> Reply:
        reply = await (self.retell if self.dialect == "retell" else self.vapi)(function, args)
        return reply.speakable()

    async def retell(self, name: str, args: dict[str, Any]) -> Reply:
        call: dict[str, Any] = {
            "call_id": self.call_id,
            "call_type": "phone_call",
            "agent_id": "agent_test",
            "direction": "inbound",
            "to_number": self.to_number,
            "metadata": self.metadata,
        }
        if self.from_number is not None:
            call["from_number"] = self.from_number
        raw = json.dumps({"name": name, "args": args, "call": call}, ensure_ascii=False)
        response = await self.http.post(
            "/voice/retell/functions",
            content=raw.encode(),
            headers={"x-retell-signature": sign(raw), "content-type": "application/json"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"success", "message", "data"}
        return Reply(200, body["success"], body["message"], body["data"])

    async def vapi(self, name: str, args: dict[str, Any]) -> Reply:
        message: dict[str, Any] = {
            "type": "tool-calls",
            "toolCallList": [
                {"id": "tc_1", "type": "function", "function": {"name": name, "arguments": args}}
            ],
            "call": {"id": self.call_id, "type": "inboundPhoneCall", "metadata": self.metadata},
            "phoneNumber": {"number": self.to_number},
        }
        if self.from_number is not None:
            message["customer"] = {"number": self.from_number}
        response = await self.http.post(
            "/voice/vapi/tools", json={"message": message}, headers={"x-vapi-secret": VAPI_SECRET}
        )
        assert response.status_code == 200, response.text
        (result,) = response.json()["results"]
        assert result["toolCallId"] == "tc_1"
        assert "\n" not in result["result"]
        body = json.loads(result["result"])
        return Reply(200, body["success"], body["message"], body["data"])


def enable_voice(app) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"retell_api_key": RETELL_KEY, "vapi_secret": VAPI_SECRET}
    )


@pytest.fixture
async def phone_line(app, db, salon, pinned_clock):
    """The salon's number rings its branch; the agent may call."""
    enable_voice(app)
    await factories.make_phone_number(
        db, salon.company_id, number=SALON_NUMBER, branch_id=salon.branch_id
    )
    return salon


@pytest.fixture
async def voice_http(app, phone_line):
    async with make_client(app) as http:
        yield http


@pytest.fixture(params=["retell", "vapi"])
def agent(request, voice_http) -> Agent:
    """The same conversation in both dialects."""
    return Agent(voice_http, request.param)


@pytest.fixture
def retell_agent(voice_http) -> Agent:
    return Agent(voice_http, "retell")


async def speak_english(db, company_id: int) -> None:
    async with db() as session:
        await session.execute(update(Company).where(Company.id == company_id).values(language="en"))
        await session.commit()
