"""Retell's and Vapi's requests, and the calls admin API.

Retell: functions, the inbound-call answer and the call webhooks, each verified with
`x-retell-signature` over the raw body. Vapi: tool calls, authenticated with VAPI_SECRET
as `x-vapi-secret`, a Bearer credential or an HMAC credential (app.voice.envelopes).
"""

from __future__ import annotations

import json
import time
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from app.deps import SessionDep, SettingsDep
from app.errors import NotFoundError, PayloadTooLargeError, problem_responses
from app.schemas import IdPath, Page
from app.tenancy.auth import CompanyIdDep
from app.voice.calls import CallHistory, CallLog
from app.voice.envelopes import (
    MAX_BODY_BYTES,
    CallFacts,
    parse_json,
    retell_call,
    retell_function,
    vapi_tool_calls,
    verify_retell,
    verify_vapi,
)
from app.voice.schemas import (
    CallDetail,
    CallFilters,
    CallRead,
    InboundAnswer,
    VapiToolResults,
    VoiceAnswer,
)
from app.voice.service import VoiceService
from app.webhook_log import WebhookLog

router = APIRouter(tags=["voice"])
admin_router = APIRouter(prefix="/calls", tags=["calls"])
RetellSignature = Annotated[
    str | None,
    Header(
        description="v=<unix ms>,d=<hex HMAC-SHA256 of the raw body + ms, keyed with the "
        "Retell API key>; 5 minutes either way."
    ),
]
VapiSecret = Annotated[
    str | None,
    Header(
        description="VAPI_SECRET as the server's secret (Vapi's legacy setting). A Vapi custom "
        "credential works too: Bearer (`Authorization: Bearer <VAPI_SECRET>`) or HMAC "
        "(`x-signature`, SHA-256 of `{x-timestamp}.{body}` keyed with VAPI_SECRET)."
    ),
]


async def _raw(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"A voice request may be at most {MAX_BODY_BYTES} bytes.")
    return body


def _voice(request: Request) -> VoiceService:
    state = request.app.state
    return VoiceService(
        state.sessionmaker,
        state.cache,
        state.settings,
        clock=state.now,
        calendar=state.calendar,
        appointment_listeners=state.appointment_listeners,
        callback_listeners=state.callback_listeners,
    )


def _now_ms() -> int:
    """Wall-clock milliseconds: signatures carry real time, never the app's test clock."""
    return int(time.time() * 1000)


@router.post(
    "/voice/retell/functions",
    response_model=VoiceAnswer,
    summary="A Retell custom function call: {name, args, call}",
    responses=problem_responses(401, 413, 422),
)
async def retell_functions(
    request: Request, settings: SettingsDep, x_retell_signature: RetellSignature = None
):
    """Always 200 once verified: a refusal is `success: false` with a sentence to speak."""
    raw = await _raw(request)
    verify_retell(raw, x_retell_signature, settings.retell_api_key, _now_ms())
    answer = await _voice(request).function(retell_function(raw))
    return answer.body()


@router.post(
    "/voice/retell/inbound",
    response_model=InboundAnswer,
    summary="Retell's call_inbound: the salon's dynamic variables for the agent",
    responses=problem_responses(401, 404, 413, 422),
)
async def retell_inbound(
    request: Request, settings: SettingsDep, x_retell_signature: RetellSignature = None
):
    raw = await _raw(request)
    verify_retell(raw, x_retell_signature, settings.retell_api_key, _now_ms())
    body = parse_json(raw)
    inbound = body.get("call_inbound") if isinstance(body, dict) else None
    inbound = inbound if isinstance(inbound, dict) else {}
    facts = CallFacts(
        provider="retell",
        call_id=inbound.get("call_id"),
        to_number=inbound.get("to_number"),
        from_number=inbound.get("from_number"),
        agent_id=inbound.get("agent_id"),
    )
    answer = await _voice(request).inbound(facts)
    if answer is None:
        raise NotFoundError("The dialled number is not set up for any salon here.")
    return answer


@router.post(
    "/webhooks/retell",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Retell's call events: call_started, call_ended, call_analyzed",
    responses=problem_responses(401, 413, 422),
)
async def retell_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    x_retell_signature: RetellSignature = None,
) -> Response:
    """Applied to the call's row; a redelivered event (same call and event) changes
    nothing; unknown events and calls of unknown numbers are ignored."""
    raw = await _raw(request)
    verify_retell(raw, x_retell_signature, settings.retell_api_key, _now_ms())
    body = parse_json(raw)
    event = str(body.get("event", ""))[:64] if isinstance(body, dict) else ""
    call_body = body.get("call") if isinstance(body, dict) else None
    if event not in ("call_started", "call_ended", "call_analyzed") or not isinstance(
        call_body, dict
    ):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    log = CallLog(session, settings.default_phone_region)
    line = await log.line_for(retell_call(body))
    call_id = str(call_body.get("call_id") or "")[:100]
    if line is None or not call_id:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    claimed = await WebhookLog(session, "retell").claim(f"{call_id}:{event}", event, None)
    if claimed is not None:
        call = await log.apply_event(event, call_body, line)
        claimed.company_id = call.company_id if call is not None else None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/voice/vapi/tools",
    response_model=VapiToolResults,
    summary="Vapi tool calls: {message: {type: tool-calls, toolCallList, ...}}",
    responses=problem_responses(401, 413, 422),
)
async def vapi_tools(request: Request, settings: SettingsDep, x_vapi_secret: VapiSecret = None):
    """One result per tool call, each the same answer as Retell's, as one line of JSON."""
    # `x_vapi_secret` is declared for the OpenAPI document only: verify_vapi reads it and
    # the other credential headers (Authorization, x-signature) from the request itself.
    raw = await _raw(request)
    verify_vapi(raw, request.headers, settings.vapi_secret, _now_ms())
    service = _voice(request)
    results = []
    for call in vapi_tool_calls(raw):
        answer = await service.function(call)
        results.append(
            {
                "toolCallId": call.tool_call_id,
                "result": json.dumps(answer.body(), ensure_ascii=False, separators=(",", ":")),
            }
        )
    return {"results": results}


@admin_router.get(
    "",
    response_model=Page[CallRead],
    summary="The voice agent's calls, newest first",
    responses=problem_responses(401, 403, 422),
)
async def list_calls(
    filters: Annotated[CallFilters, Query()], session: SessionDep, company_id: CompanyIdDep
):
    return await CallHistory(session, company_id).list(
        filters.limit,
        filters.offset,
        date_from=filters.date_from,
        date_to=filters.date_to,
        outcome=filters.outcome,
        from_number=filters.from_number,
    )


@admin_router.get(
    "/{call_id}",
    response_model=CallDetail,
    summary="A call, its outcome, the appointments it touched and every function it called",
    responses=problem_responses(401, 403, 404),
)
async def get_call(call_id: IdPath, session: SessionDep, company_id: CompanyIdDep):
    call, invocations = await CallHistory(session, company_id).get(call_id)
    touched = sorted(
        {
            int(invocation.data["appointment_id"])
            for invocation in invocations
            if invocation.success and str(invocation.data.get("appointment_id", "")).isdigit()
        }
    )
    read = CallRead.model_validate(call)
    return CallDetail(
        **read.model_dump(),
        appointment_ids=touched,
        invocations=[invocation for invocation in invocations],
    )
