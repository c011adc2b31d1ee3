"""What Retell and Vapi send, verified and read into one shape.

Retell signs the raw body: `x-retell-signature: v=<ms>,d=<hex HMAC-SHA256 of body + ms>`
keyed with the Retell API key, valid 5 minutes either way. Vapi authenticates in whichever
way its server or credential is set up, each with VAPI_SECRET: the legacy `x-vapi-secret`
header, a Bearer credential, or an HMAC credential (`x-signature` over the timestamp and
the body). Everything is compared in constant time. Nothing is done before a request is
verified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.errors import AuthenticationError, ValidationFailedError

SIGNATURE = re.compile(r"v=(\d{1,16}),d=([0-9a-f]{64})")
WINDOW_MS = 5 * 60 * 1000
MAX_BODY_BYTES = 256 * 1024


def verify_retell(raw_body: bytes, header: str | None, api_key: str | None, now_ms: int) -> None:
    if not api_key:
        raise AuthenticationError("Voice requests are not enabled: RETELL_API_KEY is unset.")
    match = SIGNATURE.fullmatch((header or "").strip())
    if match is None:
        raise AuthenticationError("Missing or malformed x-retell-signature.")
    timestamp, digest = match.groups()
    if abs(now_ms - int(timestamp)) > WINDOW_MS:
        raise AuthenticationError("Stale x-retell-signature (more than 5 minutes off).")
    expected = hmac.new(api_key.encode(), raw_body + timestamp.encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), digest):
        raise AuthenticationError("Invalid x-retell-signature.")


def verify_vapi(
    raw_body: bytes, headers: Mapping[str, str], secret: str | None, now_ms: int
) -> None:
    """A Vapi request authenticated with VAPI_SECRET in any of Vapi's ways:
    - `x-vapi-secret: <secret>`: a server's `secret` (Vapi's legacy setting);
    - `Authorization: Bearer <secret>`: a Bearer custom credential (the prefix optional);
    - `x-signature`: an HMAC custom credential (SHA-256, hex or base64) of
      "{x-timestamp}.{body}", the timestamp within 5 minutes."""
    if not secret:
        raise AuthenticationError("Vapi requests are not enabled: VAPI_SECRET is unset.")
    if (given := headers.get("x-vapi-secret")) is not None:
        if not _equal(given, secret):
            raise AuthenticationError("Invalid x-vapi-secret.")
        return
    if authorization := headers.get("authorization", "").strip():
        scheme, _, token = authorization.partition(" ")
        if not _equal(token.strip() if scheme.lower() == "bearer" else authorization, secret):
            raise AuthenticationError("Invalid Vapi bearer credential.")
        return
    if signature := headers.get("x-signature", "").strip():
        _verify_vapi_hmac(raw_body, signature, headers.get("x-timestamp", ""), secret, now_ms)
        return
    raise AuthenticationError(
        "Missing Vapi authentication: send x-vapi-secret, 'Authorization: Bearer <secret>' or "
        "x-signature with x-timestamp, made with VAPI_SECRET."
    )


def _verify_vapi_hmac(
    raw_body: bytes, signature: str, timestamp: str, secret: str, now_ms: int
) -> None:
    timestamp = timestamp.strip()
    if not timestamp.isdigit() or len(timestamp) > 16:
        raise AuthenticationError("Missing or malformed x-timestamp.")
    sent_ms = int(timestamp) if len(timestamp) > 11 else int(timestamp) * 1000  # ms or s
    if abs(now_ms - sent_ms) > WINDOW_MS:
        raise AuthenticationError("Stale x-signature (more than 5 minutes off).")
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256)
    given = signature.removeprefix("sha256=")
    hex_ok = _equal(given.lower(), digest.hexdigest())
    base64_ok = _equal(given, base64.b64encode(digest.digest()).decode())
    if not (hex_ok or base64_ok):
        raise AuthenticationError("Invalid x-signature.")


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class CallFacts:
    """What a request says about its call (any of it may be missing)."""

    provider: str
    call_id: str | None = None
    to_number: str | None = None
    from_number: str | None = None
    agent_id: str | None = None
    direction: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FunctionCall:
    name: str
    args: dict[str, Any]
    call: CallFacts
    tool_call_id: str | None = None


def parse_json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailedError("body", f"not JSON: {str(exc)[:120]}") from exc


def retell_function(raw_body: bytes) -> FunctionCall:
    """Retell's custom-function body `{name, args, call}`."""
    body = parse_json(raw_body)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        raise ValidationFailedError("body.name", "a function name is required")
    args = body.get("args")
    return FunctionCall(
        body["name"][:64], args if isinstance(args, dict) else {}, _retell_call(body.get("call"))
    )


def _retell_call(call: Any) -> CallFacts:
    call = call if isinstance(call, dict) else {}
    metadata = call.get("metadata")
    return CallFacts(
        provider="retell",
        call_id=_text(call.get("call_id")),
        to_number=_text(call.get("to_number")),
        from_number=_text(call.get("from_number")),
        agent_id=_text(call.get("agent_id")),
        direction=_text(call.get("direction")),
        metadata=metadata if isinstance(metadata, dict) else {},
    )


def retell_call(body: Any) -> CallFacts:
    """The call object of a Retell webhook `{event, call}`."""
    return _retell_call(body.get("call") if isinstance(body, dict) else None)


def vapi_tool_calls(raw_body: bytes) -> list[FunctionCall]:
    """Vapi's `{message: {type: "tool-calls", toolCallList, call, phoneNumber, customer}}`.

    A tool call is `{id, function: {name, arguments}}` or `{id, name, arguments}`;
    `arguments` is an object or a JSON string."""
    body = parse_json(raw_body)
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        raise ValidationFailedError("body.message", "a Vapi message object is required")
    items = message.get("toolCallList") or message.get("toolCalls")
    if not isinstance(items, list) or not items:
        raise ValidationFailedError("body.message.toolCallList", "no tool calls")
    call = message.get("call") if isinstance(message.get("call"), dict) else {}
    phone = message.get("phoneNumber") or call.get("phoneNumber") or {}
    customer = message.get("customer") or call.get("customer") or {}
    facts = CallFacts(
        provider="vapi",
        call_id=_text(call.get("id")),
        to_number=_text(phone.get("number")) if isinstance(phone, dict) else None,
        from_number=_text(customer.get("number")) if isinstance(customer, dict) else None,
        agent_id=_text(call.get("assistantId")),
        direction="inbound" if call.get("type") == "inboundPhoneCall" else None,
        metadata=call.get("metadata") if isinstance(call.get("metadata"), dict) else {},
    )
    calls = []
    for index, item in enumerate(items[:20]):
        if not isinstance(item, dict):
            raise ValidationFailedError(f"body.message.toolCallList.{index}", "not an object")
        function = item.get("function") if isinstance(item.get("function"), dict) else item
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise ValidationFailedError(f"body.message.toolCallList.{index}", "no function name")
        arguments = function.get("arguments", {})
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                arguments = {}
        calls.append(
            FunctionCall(
                name[:64],
                arguments if isinstance(arguments, dict) else {},
                facts,
                tool_call_id=_text(item.get("id")) or str(index),
            )
        )
    return calls


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:128] or None
