"""POST /webhooks/calcom: Cal.com booking events."""

from typing import Annotated

from fastapi import APIRouter, Header, Request

from app.calcom.webhooks import CalcomWebhookService, outcome_body, verify_signature
from app.deps import CacheDep, SessionDep, SettingsDep
from app.errors import PayloadTooLargeError, problem_responses

# Cal.com's booking payloads are a few KB; anything far larger is not one of them.
MAX_WEBHOOK_BYTES = 256 * 1024

router = APIRouter(tags=["webhooks"])


@router.post(
    "/webhooks/calcom",
    summary="Receive a Cal.com booking webhook",
    responses=problem_responses(400, 401, 403, 413),
)
async def receive_calcom_webhook(
    request: Request,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    x_cal_signature_256: Annotated[
        str | None,
        Header(description="Lowercase hex HMAC-SHA256 of the raw body, keyed with the secret."),
    ] = None,
) -> dict:
    """Verified with `x-cal-signature-256` over the raw body; a redelivered event changes
    nothing; BOOKING_CREATED / RESCHEDULED / CANCELLED update local appointments, PING and
    other triggers answer 200 `ignored`; an event of an unknown event type or team is 403."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLargeError(f"A webhook body may be at most {MAX_WEBHOOK_BYTES} bytes.")
    raw_body = await request.body()
    if len(raw_body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLargeError(f"A webhook body may be at most {MAX_WEBHOOK_BYTES} bytes.")
    verify_signature(settings.calcom_webhook_secret, raw_body, x_cal_signature_256)
    service = CalcomWebhookService(
        session,
        request.app.state.sessionmaker,
        cache,
        settings.features,
        settings.default_phone_region,
        clock=request.app.state.now,
        listeners=request.app.state.appointment_listeners,
    )
    return outcome_body(await service.handle(raw_body))
