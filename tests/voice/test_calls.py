"""The call's life as Retell reports it, the inbound answer, and the calls admin API that
integrators debug their agent prompts with."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import table_count
from tests.salon import booking, local
from tests.voice.conftest import CALLER, SALON_NUMBER, sign, speak_english

START_MS = int(datetime(2026, 11, 30, 8, 20, tzinfo=UTC).timestamp() * 1000)


async def signed_post(http, path: str, body: dict):
    raw = json.dumps(body, ensure_ascii=False).encode()
    return await http.post(
        path,
        content=raw,
        headers={"x-retell-signature": sign(raw), "content-type": "application/json"},
    )


def call_body(call_id: str = "call_hook", **extra) -> dict:
    return {
        "call_id": call_id,
        "call_type": "phone_call",
        "agent_id": "agent_test",
        "direction": "inbound",
        "from_number": CALLER,
        "to_number": SALON_NUMBER,
        "start_timestamp": START_MS,
        **extra,
    }


async def inbound(voice_http, from_number: str, to_number: str):
    """Retell asks who is calling whom before it picks up."""
    return await signed_post(
        voice_http,
        "/voice/retell/inbound",
        {
            "event": "call_inbound",
            "call_inbound": {"from_number": from_number, "to_number": to_number},
        },
    )


class TestInbound:
    async def test_answers_the_salons_variables_all_strings(self, voice_http, phone_line):
        response = await inbound(voice_http, "+491709999999", "030 1234567")
        assert response.status_code == 200, response.text
        answer = response.json()["call_inbound"]
        variables = answer["dynamic_variables"]
        assert all(isinstance(value, str) for value in variables.values())
        assert variables == {
            "company_name": "Salon Alpha",
            "branch_name": "Salon Alpha Mitte",
            "services": "Cut, Colour",
            "opening_hours_today": "9 Uhr - 18 Uhr",
            "current_date": "2026-11-30",
            "current_time": "08:00",
            "timezone": "Europe/Berlin",
            "language": "de",
            "caller_known": "false",
            "customer_name": "",
        }
        assert answer["metadata"] == {
            "company_id": phone_line.company_id,
            "branch_id": phone_line.branch_id,
        }

    async def test_a_known_caller_is_greeted_by_name(self, voice_http, company_client, phone_line):
        made = await company_client.post(
            "/api/v1/appointments", json=booking(phone_line, local(2, 10), name="Erika")
        )
        assert made.status_code == 201
        response = await inbound(voice_http, CALLER, SALON_NUMBER)
        variables = response.json()["call_inbound"]["dynamic_variables"]
        assert (variables["caller_known"], variables["customer_name"]) == ("true", "Erika")

    async def test_english_salon(self, voice_http, db, phone_line):
        await speak_english(db, phone_line.company_id)
        response = await inbound(voice_http, CALLER, SALON_NUMBER)
        variables = response.json()["call_inbound"]["dynamic_variables"]
        assert variables["language"] == "en"
        assert variables["opening_hours_today"] == "9 am - 6 pm"

    async def test_an_unknown_number_is_404(self, voice_http):
        response = await inbound(voice_http, CALLER, "+49309999999")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_unsigned_is_401(self, voice_http):
        response = await voice_http.post(
            "/voice/retell/inbound",
            json={"event": "call_inbound", "call_inbound": {"to_number": SALON_NUMBER}},
        )
        assert response.status_code == 401


class TestWebhooks:
    async def test_the_lifecycle_lands_on_the_call(self, voice_http, company_client):
        started = await signed_post(
            voice_http, "/webhooks/retell", {"event": "call_started", "call": call_body()}
        )
        assert started.status_code == 204
        ended = await signed_post(
            voice_http,
            "/webhooks/retell",
            {
                "event": "call_ended",
                "call": call_body(
                    call_status="ended",
                    end_timestamp=START_MS + 95_000,
                    duration_ms=95_000,
                    disconnection_reason="user_hangup",
                ),
            },
        )
        assert ended.status_code == 204
        analyzed = await signed_post(
            voice_http,
            "/webhooks/retell",
            {
                "event": "call_analyzed",
                "call": call_body(
                    call_status="ended",
                    call_analysis={
                        "call_summary": "Booked a cut.",
                        "user_sentiment": "Positive",
                        "call_successful": True,
                    },
                ),
            },
        )
        assert analyzed.status_code == 204
        (call,) = (await company_client.get("/api/v1/calls")).json()["items"]
        assert call["call_id"] == "call_hook"
        assert call["status"] == "ended"
        assert call["started_at"].startswith("2026-11-30T08:20:00")
        assert call["duration_ms"] == 95_000
        assert call["disconnection_reason"] == "user_hangup"
        assert (call["summary"], call["sentiment"], call["call_successful"]) == (
            "Booked a cut.",
            "Positive",
            True,
        )
        assert call["from_number"] == CALLER

    async def test_a_redelivered_event_changes_nothing(self, voice_http, company_client, db):
        body = {"event": "call_ended", "call": call_body(disconnection_reason="user_hangup")}
        assert (await signed_post(voice_http, "/webhooks/retell", body)).status_code == 204
        # Retell retries with the same (call_id, event); even a changed body is not applied.
        body["call"]["disconnection_reason"] = "agent_hangup"
        assert (await signed_post(voice_http, "/webhooks/retell", body)).status_code == 204
        (call,) = (await company_client.get("/api/v1/calls")).json()["items"]
        assert call["disconnection_reason"] == "user_hangup"
        assert await table_count(db, "calls") == 1

    @pytest.mark.parametrize(
        "body",
        [
            {"event": "transcript_updated", "call": call_body()},
            {"event": "call_started", "call": "x"},
            {"event": "call_started", "call": call_body(to_number="+49309999999")},
            {"event": "call_started", "call": {"to_number": SALON_NUMBER}},
            [],
        ],
        ids=["unknown-event", "call-not-object", "unknown-number", "no-call-id", "not-object"],
    )
    async def test_what_cannot_be_applied_is_ignored(self, voice_http, db, body):
        assert (await signed_post(voice_http, "/webhooks/retell", body)).status_code == 204
        assert await table_count(db, "calls") == 0

    async def test_unsigned_is_401(self, voice_http, db):
        response = await voice_http.post(
            "/webhooks/retell", json={"event": "call_started", "call": call_body()}
        )
        assert response.status_code == 401
        assert await table_count(db, "calls") == 0


class TestCallsApi:
    async def test_a_call_with_every_function_it_called_in_order(
        self, retell_agent, company_client
    ):
        await retell_agent("list_services")
        await retell_agent("check_availability", service="Cut", date="morgen", time="10")
        booked = await retell_agent(
            "book_appointment", service="Cut", date="morgen", time="10", name="Erika"
        )
        (listed,) = (await company_client.get("/api/v1/calls")).json()["items"]
        assert listed["outcome"] == "booked"
        assert listed["customer_id"] is not None
        detail = (await company_client.get(f"/api/v1/calls/{listed['id']}")).json()
        assert detail["appointment_ids"] == [booked.data["appointment_id"]]
        assert [i["function"] for i in detail["invocations"]] == [
            "list_services",
            "check_availability",
            "book_appointment",
        ]
        assert [i["sequence"] for i in detail["invocations"]] == [1, 2, 3]
        last = detail["invocations"][-1]
        assert last["args"] == {
            "service": "Cut",
            "date": "morgen",
            "time": "10",
            "name": "Erika",
        }
        assert (last["success"], last["message"]) == (True, booked.message)
        assert isinstance(last["latency_ms"], int) and last["latency_ms"] >= 0

    async def test_outcomes_and_filters(self, retell_agent, company_client):
        await retell_agent("list_services")
        asked = retell_agent.on_another_call(from_number="+4917012345699")
        await asked("request_callback", reason="Preis")
        failed = retell_agent.on_another_call(from_number="+4917012345698")
        await failed("book_appointment", service="Massage", date="morgen", time="10", name="X")
        calls = (await company_client.get("/api/v1/calls")).json()
        assert calls["total"] == 3
        assert sorted(c["outcome"] for c in calls["items"]) == ["callback", "failed", "information"]
        only = await company_client.get("/api/v1/calls", params={"outcome": "callback"})
        assert [c["from_number"] for c in only.json()["items"]] == ["+4917012345699"]
        by_number = await company_client.get("/api/v1/calls", params={"from_number": CALLER})
        assert [c["outcome"] for c in by_number.json()["items"]] == ["information"]
        later = await company_client.get(
            "/api/v1/calls", params={"date_from": "2099-01-01T00:00:00Z"}
        )
        assert later.json()["items"] == []
        bad = await company_client.get("/api/v1/calls", params={"outcome": "won"})
        assert bad.status_code == 422

    async def test_another_companys_call_is_404(self, retell_agent, company_client, other_client):
        await retell_agent("list_services")
        (call,) = (await company_client.get("/api/v1/calls")).json()["items"]
        assert (await other_client.get("/api/v1/calls")).json()["items"] == []
        response = await other_client.get(f"/api/v1/calls/{call['id']}")
        assert response.status_code == 404
        assert (await company_client.get("/api/v1/calls/999999")).status_code == 404

    async def test_a_call_id_of_another_company_is_never_joined(
        self, app, db, retell_agent, other_tenant
    ):
        """Two salons, one platform call id (Retell ids are global, but a forged one is
        not): the second salon's functions do not write into the first salon's call."""
        from tests import factories

        await retell_agent("list_services")
        await factories.make_phone_number(db, other_tenant.company_id, number="+49307654321")
        await factories.make_service(db, other_tenant.company_id, name="Shave")
        intruder = retell_agent.on_another_call(to_number="+49307654321")
        intruder.call_id = retell_agent.call_id
        reply = await intruder("list_services")
        assert reply.success
        assert [s["name"] for s in reply.data["services"]] == ["Shave"]
        assert await table_count(db, "call_invocations") == 1
