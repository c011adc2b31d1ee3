"""Liveness, readiness and Prometheus metrics."""

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field

from app.calcom.dependencies import calcom_client, calcom_status
from app.deps import SettingsDep
from app.ops.service import ReadinessService

router = APIRouter(tags=["operations"])


class CheckRead(BaseModel):
    ok: bool = Field(description="Whether the component answered.")
    detail: str = Field(description="`ok`, or what failed.")


class ReadinessRead(BaseModel):
    status: Literal["ok", "unavailable"] = Field(description="`ok` when every check passed.")
    checks: dict[str, CheckRead] = Field(
        description="Per component (`database`, and `redis` when configured)."
    )
    upstreams: dict[str, dict[str, Any]] = Field(
        description="Informational: Cal.com's state; with Cal.com down the service still "
        "answers from its own calendar."
    )


class LivenessRead(BaseModel):
    status: Literal["ok"] = Field(description="Always `ok`: the process answers.")


@router.get("/health/live", response_model=LivenessRead, summary="Liveness: the process answers")
async def health_live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    response_model=ReadinessRead,
    summary="Readiness: database (and Redis when configured) answer",
    responses={
        503: {"model": ReadinessRead, "description": "A component is down; `checks` says which."}
    },
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
