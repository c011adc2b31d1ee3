"""The OpenAPI document, with every error described the way it is sent.

FastAPI documents a route's validation errors as its own `HTTPValidationError` under
`application/json`; this service answers every error as `application/problem+json` with the
`Problem` schema. The document is post-processed once, in one place, so that each operation
lists every error it can answer: the ones its route names, 422 (and 400 for a body) where
there is input to validate, and 401, 403 and 429 where an API key is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from app.errors import PROBLEM_CONTENT_TYPE, PROBLEM_DESCRIPTIONS, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Answered by the authentication and rate-limit dependencies of every keyed route.
KEYED_ERRORS = {401, 403, 429}
HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: send `Authorization: Bearer <api key>`.",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the next request is accepted.",
            "schema": {"type": "integer"},
        }
    },
}


def _needs_key(dependant: Dependant, key_dependency: Callable[..., Any]) -> bool:
    return any(
        dependency.call is key_dependency or _needs_key(dependency, key_dependency)
        for dependency in dependant.dependencies
    )


def install_openapi(app: FastAPI, key_dependency: Callable[..., Any]) -> None:
    """Replace `app.openapi` with the post-processed document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        keyed = {
            (context.path_format, method.lower())
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute)
            and _needs_key(context.original_route.dependant, key_dependency)
            for method in context.methods or ()
        }
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                _describe_errors(operation, keyed=(path, method) in keyed)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        # FastAPI's own validation error shape is never sent.
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_errors(operation: dict[str, Any], *, keyed: bool) -> None:
    responses = operation.setdefault("responses", {})
    statuses = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(400)
    if keyed:
        statuses |= KEYED_ERRORS
    for status in sorted(statuses):
        existing = responses.get(str(status), {})
        content = existing.get("content", {})
        if content and PROBLEM_CONTENT_TYPE not in content and "application/json" in content:
            schema = content["application/json"].get("schema")
            if schema and "HTTPValidationError" not in str(schema):
                continue  # a route's own non-problem error body (readiness' 503)
        response: dict[str, Any] = {
            "description": existing.get("description")
            if existing.get("description") not in (None, "Validation Error")
            else PROBLEM_DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}},
        }
        if status in HEADERS:
            response["headers"] = HEADERS[status]
        responses[str(status)] = response
