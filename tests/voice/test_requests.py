"""What is accepted from Retell and Vapi: signed or with the secret, a JSON envelope, every
shape Vapi sends. A refused request does nothing: no call row, no booking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from app.voice.envelopes import verify_retell
from tests.conftest import table_count
from tests.voice.conftest import CALLER, RETELL_KEY, SALON_NUMBER, VAPI_SECRET, enable_voice, sign

BOOKING = {
    "name": "book_appointment",
    "args": {"service": "Cut", "date": "2026-12-01", "time": "10:00", "customer_name": "Jörg"},
    "call": {"call_id": "call_sig", "from_number": CALLER, "to_number": SALON_NUMBER},
}


def now_ms() -> int:
    return int(time.time() * 1000)


async def post_retell(http, raw: bytes, signature: str | None, path="/voice/retell/functions"):
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-retell-signature"] = signature
    return await http.post(path, content=raw, headers=headers)


def raw_booking() -> bytes:
    return json.dumps(BOOKING, ensure_ascii=False).encode()


class TestRetellSignature:
    async def test_a_signed_non_ascii_body_is_accepted_as_sent(self, voice_http, db):
        raw = raw_booking()
        assert "Jörg".encode() in raw  # UTF-8 on the wire, not \\u escapes
        response = await post_retell(voice_http, raw, sign(raw))
        assert response.status_code == 200
        assert response.json()["success"] is True
        assert await table_count(db, "appointments") == 1

    async def test_a_re_serialised_body_does_not_verify(self):
        """The digest is over the raw bytes: the same JSON dumped with escapes is another body."""
        raw = raw_booking()
        reserialised = json.dumps(json.loads(raw)).encode()  # ensure_ascii escapes the ö
        with pytest.raises(Exception, match="Invalid"):
            verify_retell(reserialised, sign(raw), RETELL_KEY, now_ms())

    @pytest.mark.parametrize(
        ("minutes_off", "accepted"),
        [(-6, False), (-4, True), (4, True), (6, False)],
        ids=["6-min-old", "4-min-old", "4-min-ahead", "6-min-ahead"],
    )
    async def test_the_window_is_five_minutes_either_way(
        self, voice_http, db, minutes_off, accepted
    ):
        raw = raw_booking()
        response = await post_retell(voice_http, raw, sign(raw, now_ms() + minutes_off * 60_000))
        assert response.status_code == (200 if accepted else 401)
        assert await table_count(db, "appointments") == (1 if accepted else 0)

    @pytest.mark.parametrize(
        "signature",
        [
            None,
            "",
            "garbage",
            "v=123,d=zz",
            "d=" + "0" * 64 + ",v=1",
            f"v={int(time.time() * 1000)},d={'0' * 64}",
        ],
        ids=["missing", "empty", "garbage", "short-digest", "reordered", "wrong-digest"],
    )
    async def test_missing_malformed_or_wrong_is_401_and_nothing_done(
        self, voice_http, db, signature
    ):
        response = await post_retell(voice_http, raw_booking(), signature)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert await table_count(db, "calls") == 0
        assert await table_count(db, "appointments") == 0

    async def test_signed_with_another_key_is_401(self, voice_http, db):
        raw = raw_booking()
        response = await post_retell(voice_http, raw, sign(raw, key="key_someone_else"))
        assert response.status_code == 401
        assert await table_count(db, "appointments") == 0

    async def test_a_tampered_body_is_401(self, voice_http, db):
        raw = raw_booking()
        signature = sign(raw)
        tampered = raw.replace(b"10:00", b"11:00")
        assert (await post_retell(voice_http, tampered, signature)).status_code == 401
        assert await table_count(db, "appointments") == 0

    async def test_without_a_retell_key_configured_nothing_is_accepted(self, app, voice_http):
        app.state.settings = app.state.settings.model_copy(update={"retell_api_key": None})
        raw = raw_booking()
        for path in ("/voice/retell/functions", "/voice/retell/inbound", "/webhooks/retell"):
            response = await post_retell(voice_http, raw, sign(raw), path)
            assert response.status_code == 401, path
            assert "RETELL_API_KEY" in response.json()["detail"]
        enable_voice(app)

    @pytest.mark.parametrize(
        "raw",
        [b"not json", b"[]", b'{"args": {}}', b'{"name": ""}', b'{"name": 5}', b"[" * 100_000],
        ids=["not-json", "a-list", "no-name", "empty-name", "name-not-text", "deep"],
    )
    async def test_a_signed_envelope_without_a_name_is_422(self, voice_http, db, raw):
        response = await post_retell(voice_http, raw, sign(raw))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert await table_count(db, "calls") == 0

    async def test_a_body_over_256_kb_is_413(self, voice_http):
        raw = json.dumps({"name": "list_services", "args": {"x": "a" * 300_000}}).encode()
        assert (await post_retell(voice_http, raw, sign(raw))).status_code == 413

    async def test_odd_args_and_call_shapes_are_answered_not_failed(self, voice_http):
        for body in (
            {"name": "list_services", "args": "text", "call": []},
            {"name": "list_services", "args": None, "call": {"to_number": 49301234567}},
            {"name": "check_availability", "args": {"service": ["Cut"], "date": {"a": 1}}},
        ):
            raw = json.dumps(body).encode()
            response = await post_retell(voice_http, raw, sign(raw))
            assert response.status_code == 200, body
            assert set(response.json()) == {"success", "message", "data"}


def vapi_message(*tool_calls: dict, **message) -> dict:
    return {
        "message": {
            "type": "tool-calls",
            "toolCallList": list(tool_calls),
            "call": {"id": "vapi_call_1", "type": "inboundPhoneCall"},
            "phoneNumber": {"number": SALON_NUMBER},
            "customer": {"number": CALLER},
            **message,
        }
    }


def vapi_hmac(
    raw: bytes, sent_at: float, unit: str, encoding: str, secret: str = VAPI_SECRET
) -> dict[str, str]:
    """The headers of Vapi's HMAC custom credential (SHA-256 of "{timestamp}.{body}")."""
    timestamp = str(int(sent_at * 1000) if unit == "milliseconds" else int(sent_at))
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    signature = {
        "hex": digest.hexdigest(),
        "base64": base64.b64encode(digest.digest()).decode(),
        "prefixed": "sha256=" + digest.hexdigest(),
    }[encoding]
    return {"content-type": "application/json", "x-signature": signature, "x-timestamp": timestamp}


class TestVapi:
    async def test_every_tool_call_shape_is_answered_in_order(self, voice_http):
        body = vapi_message(
            {"id": "a", "type": "function", "function": {"name": "list_services", "arguments": {}}},
            {
                "id": "b",
                "function": {"name": "get_opening_hours", "arguments": '{"date": "morgen"}'},
            },
            {"id": "c", "name": "list_services", "arguments": ""},
        )
        response = await voice_http.post(
            "/voice/vapi/tools", json=body, headers={"x-vapi-secret": VAPI_SECRET}
        )
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["toolCallId"] for r in results] == ["a", "b", "c"]
        hours = json.loads(results[1]["result"])
        assert hours["data"]["days"][0]["date"] == "2026-12-01"
        assert all("\n" not in r["result"] for r in results)

    async def test_numbers_from_the_call_when_not_on_the_message(self, voice_http, db):
        body = vapi_message(
            {"id": "a", "function": {"name": "find_appointments", "arguments": {}}},
            call={
                "id": "vapi_call_2",
                "phoneNumber": {"number": SALON_NUMBER},
                "customer": {"number": CALLER},
            },
        )
        del body["message"]["phoneNumber"], body["message"]["customer"]
        response = await voice_http.post(
            "/voice/vapi/tools", json=body, headers={"x-vapi-secret": VAPI_SECRET}
        )
        result = json.loads(response.json()["results"][0]["result"])
        assert result["success"] is True  # the caller was known: not the anonymous answer
        assert await table_count(db, "calls") == 1

    @pytest.mark.parametrize("secret", [None, "", "wrong", VAPI_SECRET + "x"])
    async def test_a_wrong_or_missing_secret_is_401(self, voice_http, db, secret):
        headers = {"x-vapi-secret": secret} if secret is not None else {}
        body = vapi_message({"id": "a", "function": {"name": "list_services"}})
        response = await voice_http.post("/voice/vapi/tools", json=body, headers=headers)
        assert response.status_code == 401
        assert await table_count(db, "calls") == 0

    @pytest.mark.parametrize(
        "authorization", [f"Bearer {VAPI_SECRET}", f"bearer {VAPI_SECRET}", VAPI_SECRET]
    )
    async def test_a_bearer_credential_is_accepted(self, voice_http, authorization):
        body = vapi_message({"id": "a", "function": {"name": "list_services"}})
        response = await voice_http.post(
            "/voice/vapi/tools", json=body, headers={"Authorization": authorization}
        )
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["toolCallId"] == "a"

    @pytest.mark.parametrize("authorization", ["Bearer wrong", "Bearer ", f"Basic {VAPI_SECRET}"])
    async def test_a_wrong_bearer_credential_is_401(self, voice_http, db, authorization):
        body = vapi_message({"id": "a", "function": {"name": "list_services"}})
        response = await voice_http.post(
            "/voice/vapi/tools", json=body, headers={"Authorization": authorization}
        )
        assert response.status_code == 401
        assert await table_count(db, "calls") == 0

    @pytest.mark.parametrize("unit", ["seconds", "milliseconds"])
    @pytest.mark.parametrize("encoding", ["hex", "base64", "prefixed"])
    async def test_an_hmac_credential_is_accepted(self, voice_http, unit, encoding):
        raw = json.dumps(vapi_message({"id": "a", "function": {"name": "list_services"}}))
        headers = vapi_hmac(raw.encode(), time.time(), unit, encoding)
        response = await voice_http.post("/voice/vapi/tools", content=raw, headers=headers)
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("fault", ["stale", "other-body", "other-secret", "no-timestamp"])
    async def test_a_wrong_hmac_credential_is_401(self, voice_http, db, fault):
        raw = json.dumps(vapi_message({"id": "a", "function": {"name": "list_services"}}))
        signed = raw.replace('"a"', '"b"') if fault == "other-body" else raw
        sent_at = time.time() - 301 if fault == "stale" else time.time()
        secret = "another-secret" if fault == "other-secret" else VAPI_SECRET
        headers = vapi_hmac(signed.encode(), sent_at, "seconds", "hex", secret)
        if fault == "no-timestamp":
            del headers["x-timestamp"]
        response = await voice_http.post("/voice/vapi/tools", content=raw, headers=headers)
        assert response.status_code == 401
        assert await table_count(db, "calls") == 0

    async def test_unset_secret_refuses_everything(self, app, voice_http):
        app.state.settings = app.state.settings.model_copy(update={"vapi_secret": None})
        body = vapi_message({"id": "a", "function": {"name": "list_services"}})
        response = await voice_http.post(
            "/voice/vapi/tools", json=body, headers={"x-vapi-secret": ""}
        )
        assert response.status_code == 401
        assert "VAPI_SECRET" in response.json()["detail"]

    @pytest.mark.parametrize(
        "body",
        [{}, {"message": "x"}, {"message": {"toolCallList": []}}, vapi_message({"id": "a"})],
        ids=["empty", "message-not-object", "no-tool-calls", "no-function-name"],
    )
    async def test_a_malformed_message_is_422(self, voice_http, body):
        response = await voice_http.post(
            "/voice/vapi/tools", json=body, headers={"x-vapi-secret": VAPI_SECRET}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
