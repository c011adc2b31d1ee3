"""Domain exceptions and their one mapping to RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.logging import request_id_var

logger = logging.getLogger("app.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://booking.example/problems/"


class DomainError(Exception):
    """Base of every expected failure; carries its HTTP status and problem type."""

    status: ClassVar[int] = 400
    type: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


class NotFoundError(DomainError):
    status, type, title = 404, "not-found", "Not found"


class ConflictError(DomainError):
    status, type, title = 409, "conflict", "Conflict"


class ValidationFailedError(DomainError):
    """A request that is well-formed but breaks a business rule; names the field."""

    status, type, title = 422, "validation-error", "Validation failed"

    def __init__(self, field: str, reason: str, **extensions: Any):
        super().__init__(
            f"{field}: {reason}", errors=[{"field": field, "reason": reason}], **extensions
        )


class AuthenticationError(DomainError):
    status, type, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str = "A valid API key is required."):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class PermissionDeniedError(DomainError):
    status, type, title = 403, "forbidden", "Forbidden"


class RateLimitedError(DomainError):
    status, type, title = 429, "rate-limited", "Too many requests"

    def __init__(self, retry_after: int):
        super().__init__(
            f"Rate limit exceeded; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


class PayloadTooLargeError(DomainError):
    status, type, title = 413, "payload-too-large", "Payload too large"


class UpstreamUnavailableError(DomainError):
    status, type, title = 503, "upstream-unavailable", "Service unavailable"


class Problem(BaseModel):
    """RFC 9457 problem details; extension members (`errors`, `alternatives`, ...) vary by type."""

    model_config = {"extra": "allow"}

    type: str = Field(description="URI identifying the problem type.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def problem_response(
    status: int,
    type_: str,
    title: str,
    detail: str | None,
    request: Request,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extensions,
    }
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        exc.status, exc.type, exc.title, exc.detail, request, exc.headers, **exc.extensions
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field_path(err["loc"]), "reason": err["msg"]} for err in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem_response(
        422, "validation-error", "Validation failed", detail, request, errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    return problem_response(
        exc.status_code,
        f"http-{exc.status_code}",
        title,
        str(exc.detail),
        request,
        dict(exc.headers or {}),
    )


async def _unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("request.unhandled_error", extra={"path": request.url.path})
    return problem_response(
        500,
        "internal-error",
        "Internal server error",
        "An unexpected error occurred; quote the request id when reporting it.",
        request,
    )


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems a route can answer."""
    return {
        status: {"model": Problem, "content": {PROBLEM_CONTENT_TYPE: {}}} for status in statuses
    }
