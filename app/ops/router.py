"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from app.calcom.dependencies import calcom_client, calcom_status
from app.deps import SettingsDep
from app.ops.service import ReadinessService

router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="Liveness: the process answers")
async def health_live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    summary="Readiness: database (and Redis when configured) answer",
    responses={503: {"description": "A component is down; `checks` says which."}},
)
async def health_ready(request: Request, settings: SettingsDep) -> JSONResponse:
    service = ReadinessService(
        request.app.state.engine, request.app.state.cache, settings.redis_url is not None
    )
    checks = await service.check()
    ready = all(check.ok for check in checks)
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        # Informational: with Cal.com down the service still answers from its own calendar.
        "upstreams": {"calcom": await calcom_status(calcom_client(request))},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
