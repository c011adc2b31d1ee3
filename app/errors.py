"""Domain exceptions and their one mapping to RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
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


class FieldErrorRead(BaseModel):
    field: str = Field(
        description="Where the value was sent and its path inside it: `body.start`, "
        "`body.customer.phone`, `query.date_from`, `path.staff_id`.",
        examples=["body.start"],
    )
    reason: str = Field(
        description="What is wrong with it, for people.", examples=["must be in the future"]
    )


class Problem(BaseModel):
    """RFC 9457 problem details. Every error the service sends has this shape; some types
    add members (`errors` on validation, `alternatives` on a taken slot, the policy decision
    on a refused cancel)."""

    model_config = {"extra": "allow"}

    type: str = Field(
        description="URI identifying the problem type.",
        examples=["https://booking.example/problems/validation-error"],
    )
    title: str = Field(
        description="Short summary of the problem type.", examples=["Validation failed"]
    )
    status: int = Field(description="The HTTP status code.", examples=[422])
    detail: str | None = Field(None, description="What went wrong in this request, for people.")
    instance: str | None = Field(
        None, description="The path of the request.", examples=["/api/v1/appointments"]
    )
    request_id: str | None = Field(
        None, description="Quote it when reporting a problem; also in the X-Request-ID header."
    )
    errors: list[FieldErrorRead] | None = Field(
        None, description="On validation problems: each offending field and why."
    )


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
    """One style for every error: where the value was sent, then the path inside it
    (`body.customer.phone`, `query.date_from`, `path.staff_id`, `body.working_hours.2`)."""
    return ".".join(str(part) for part in loc)


def _json_position(document: Any, position: int) -> str:
    if not isinstance(document, str | bytes):
        return f"character {position}"
    text = document if isinstance(document, str) else document.decode("utf-8", "replace")
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        exc.status, exc.type, exc.title, exc.detail, request, exc.headers, **exc.extensions
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw_errors = exc.errors()
    for error in raw_errors:
        if error.get("type") == "json_invalid":
            # Broken JSON is a malformed request (400), said the way an editor would.
            where = _json_position(exc.body, error["loc"][-1])
            reason = f"invalid JSON at {where}: {error.get('ctx', {}).get('error', 'unreadable')}"
            return problem_response(
                400,
                "malformed-body",
                "Malformed body",
                reason,
                request,
                errors=[{"field": "body", "reason": reason}],
            )
    errors = [{"field": _field_path(err["loc"]), "reason": err["msg"]} for err in raw_errors]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem_response(
        422, "validation-error", "Validation failed", detail, request, errors=errors
    )


# FastAPI's own wording for a body it could not decode at all (not UTF-8, say).
_UNPARSEABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:
        reason = "the body could not be read as JSON (send UTF-8 encoded JSON)"
        return problem_response(
            400,
            "malformed-body",
            "Malformed body",
            reason,
            request,
            errors=[{"field": "body", "reason": reason}],
        )
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    headers = dict(exc.headers or {})
    detail = str(exc.detail)
    if exc.status_code == 405:
        allowed = ", ".join(sorted(_allowed_methods(request)))
        headers["Allow"] = allowed
        detail = f"{request.method} is not allowed here; allowed: {allowed}."
    return problem_response(
        exc.status_code, f"http-{exc.status_code}", title, detail, request, headers
    )


def _allowed_methods(request: Request) -> set[str]:
    """Every method some route of this path answers (Starlette names only the first
    route's, and GET, PATCH and DELETE of one path are three routes)."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        regex = getattr(context, "path_regex", None)
        if regex is not None and regex.match(request.url.path) and context.methods:
            methods |= set(context.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return methods


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


PROBLEM_DESCRIPTIONS = {
    400: "Malformed request: the body is not readable JSON (or not a webhook body).",
    401: "Missing, invalid or revoked API key (or webhook signature).",
    403: "The key may not do this (an admin-only or company-only operation).",
    404: "Not found; another company's id answers the same.",
    409: "Conflict with the current state; `detail` says which.",
    413: "The body is too large.",
    422: "Invalid input: `errors` names each offending field.",
    429: "Rate limit reached; retry after `Retry-After` seconds.",
    502: "The calendar (Cal.com) refused the change; nothing was changed here.",
    503: "A dependency is unavailable; nothing was changed. Retry or offer a callback.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems a route can answer (the schema is
    attached by app.openapi)."""
    return {status: {"description": PROBLEM_DESCRIPTIONS[status]} for status in statuses}
