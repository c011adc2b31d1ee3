"""Pure ASGI middleware: request id, access log and Prometheus request metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cache import end_read_ahead_scope, read_ahead_scope
from app.logging import company_id_var, request_id_var
from app.metrics import Metrics

logger = logging.getLogger("app.access")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        request_token = request_id_var.set(request_id)
        company_token = company_id_var.set(None)
        read_ahead_token = read_ahead_scope()
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("ascii")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception as exc:
            if response_started:
                raise
            # Answered here, not by Starlette's outermost error middleware, so that the 500
            # carries the request id (header, body, log line) and is counted like any other.
            handler = scope["app"].exception_handlers[Exception]
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route_path = _route_template(scope)
            self.metrics.observe_request(scope["method"], route_path, status, elapsed)
            if not route_path.startswith("/health"):
                logger.info(
                    "http.request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route_path,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            company_id_var.reset(company_token)
            request_id_var.reset(request_token)
            end_read_ahead_scope(read_ahead_token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.match(candidate) else None
    return None


def _route_template(scope: Scope) -> str:
    """The matched route's full path template, e.g. `/api/v1/branches/{branch_id}`.

    The route object knows only its path inside its own router; the prefixes it was
    included under are recovered from the request path, so metric labels stay templates
    (bounded cardinality) rather than concrete ids.
    """
    route_path = getattr(scope.get("route"), "path", None)
    if not route_path:
        return "unmatched"
    params = scope.get("path_params") or {}
    concrete = _PATH_PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), route_path)
    path = scope["path"]
    if path.endswith(concrete):
        return path[: len(path) - len(concrete)] + route_path
    return route_path
