"""The OpenAPI document describes the API as it behaves (issue 9).

- Every documented error is `application/problem+json` with the `Problem` schema, validation
  errors included; FastAPI's own `HTTPValidationError` shape appears nowhere.
- Every property of every schema and every parameter has a description; every request body
  has an example, and the examples are valid bodies.
- A PATCH body field is documented nullable only where null means something
  (`PATCH_NULL_MEANS`, each with what null does); everywhere else null is refused with 422
  naming the field, which is checked against the running app too.

Failures name `Schema.property` (or the operation and parameter) so they can be fixed where
the model is declared.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError

from app.config import Settings
from app.errors import PROBLEM_CONTENT_TYPE
from app.main import create_app
from app.schemas import MAX_ID

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SCHEMA_PREFIX = "#/components/schemas/"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Error responses that are not problems, on purpose, with the body they document instead.
OWN_ERROR_BODIES = {
    # Readiness answers 503 with its own body so load balancers and monitors can read which
    # check failed; app/openapi.py leaves it as the route declares it.
    ("get", "/health/ready", "503"): ("application/json", "ReadinessRead"),
}

# Parameters declared in router signatures outside the model modules that still lack a
# description, with where to add it. Remove an entry once it is described there.
UNDESCRIBED_PARAMETERS: dict[tuple[str, str, str, str], str] = {}

_DEFAULT_AGAIN = "null returns the key to its default (the stored settings are merge-patched)"
# Every PATCH body property (nested ones included) documented nullable, and what null does.
PATCH_NULL_MEANS = {
    "CompanyUpdate.calcom_team_id": "unlinks the company from its Cal.com team",
    "CompanyAdminUpdate.calcom_team_id": "unlinks the company from its Cal.com team",
    "CompanySettings.slot_interval_minutes": _DEFAULT_AGAIN,
    "CompanySettings.min_notice_minutes": _DEFAULT_AGAIN,
    "CompanySettings.phone_region": _DEFAULT_AGAIN,
    "CompanySettings.callback_sla_minutes": _DEFAULT_AGAIN,
    "CompanySettings.callback_escalation_staff_id": _DEFAULT_AGAIN,
    "CompanySettings.rate_limit_per_minute": _DEFAULT_AGAIN,
    "CallbackSla.urgent": _DEFAULT_AGAIN,
    "CallbackSla.high": _DEFAULT_AGAIN,
    "CallbackSla.normal": _DEFAULT_AGAIN,
    "BranchUpdate.phone": "clears the branch's phone number",
    "BranchUpdate.address": "clears the branch's address",
    "BranchUpdate.timezone": "the branch uses the company's time zone",
    "ServiceUpdate.branch_id": "makes the service company-wide (offered at every branch)",
    "ServiceUpdate.calcom_event_type_id": "unlinks the service from its Cal.com event type",
    "ServiceUpdate.initial_duration": "clears the phase (refused while has_processing_time)",
    "ServiceUpdate.processing_duration": "clears the phase (refused while has_processing_time)",
    "ServiceUpdate.final_duration": "clears the phase (refused while has_processing_time)",
    "StaffUpdate.email": "clears the staff member's email address",
    "StaffUpdate.calcom_user_id": "unlinks the staff member from their Cal.com user",
    "CustomerUpdate.email": "clears the customer's email address",
    "CustomerUpdate.language": "the customer gets the company's language",
    "CustomerUpdate.notes": "clears the notes",
    "PhoneNumberUpdate.branch_id": "callers reach the company, no particular branch",
    "PhoneNumberUpdate.retell_agent_id": "clears the Retell agent",
    "AppointmentUpdate.notes": "clears the notes",
}


def _document() -> dict[str, Any]:
    return create_app(Settings(_env_file=None)).openapi()


DOCUMENT = _document()
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref", "")
    return ref.removeprefix(SCHEMA_PREFIX) if ref.startswith(SCHEMA_PREFIX) else None


def _refs(schema: Any) -> Iterator[str]:
    """Every component a (sub)schema refers to."""
    if isinstance(schema, dict):
        if (name := _ref_name(schema)) is not None:
            yield name
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def _body_schemas(operation: dict[str, Any]) -> list[str]:
    """The components a request body is (a body that may be left out is `anyOf [X, null]`)."""
    content = operation["requestBody"]["content"]
    return sorted({name for media in content.values() for name in _refs(media.get("schema", {}))})


def _is_error(status: str) -> bool:
    return (status.isdigit() and int(status) >= 400) or status in ("4XX", "5XX", "default")


# --- errors ------------------------------------------------------------------------------


def test_every_documented_error_is_a_problem():
    wrong = []
    for method, path, operation in _operations():
        for status, response in operation.get("responses", {}).items():
            if not _is_error(status):
                continue
            where = f"{method.upper()} {path} {status}"
            own = OWN_ERROR_BODIES.get((method, path, status))
            if own is not None:
                media_type, schema = own
                expected = {media_type: {"schema": {"$ref": SCHEMA_PREFIX + schema}}}
                if response.get("content") != expected:
                    wrong.append(f"{where}: expected its own {schema} body, got {response}")
                continue
            if response.get("content") != {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}:
                wrong.append(f"{where}: {json.dumps(response.get('content'))}")
    assert not wrong, "error responses that are not exactly problem+json Problem:\n" + "\n".join(
        wrong
    )


def test_the_exceptions_to_problem_errors_still_exist():
    for (method, path, status), _ in OWN_ERROR_BODIES.items():
        assert status in DOCUMENT["paths"].get(path, {}).get(method, {}).get("responses", {}), (
            f"{method.upper()} {path} no longer documents {status}: drop it from OWN_ERROR_BODIES"
        )


def test_validation_errors_are_documented_as_problems():
    missing = []
    for method, path, operation in _operations():
        if operation.get("parameters") or "requestBody" in operation:
            response = operation.get("responses", {}).get("422", {})
            if response.get("content") != {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}:
                missing.append(f"{method.upper()} {path}")
    assert not missing, "operations with input but no 422 Problem: " + ", ".join(missing)


def test_fastapis_validation_error_shape_appears_nowhere():
    text = json.dumps(DOCUMENT)
    assert "HTTPValidationError" not in text
    assert "ValidationError" not in text
    assert "Problem" in SCHEMAS and "FieldErrorRead" in SCHEMAS


# --- descriptions ------------------------------------------------------------------------


def _undescribed(schema: Any, where: str) -> Iterator[str]:
    """`where.property` for every property without a description, in `schema` and its inline
    sub-schemas (nested objects, array items, map values, anyOf/allOf/oneOf branches, $defs).
    A $ref is not followed: every component is walked once, under its own name."""
    if not isinstance(schema, dict):
        return
    for name, prop in schema.get("properties", {}).items():
        if not (isinstance(prop, dict) and prop.get("description", "").strip()):
            yield f"{where}.{name}"
        yield from _undescribed(prop, f"{where}.{name}")
    for key in ("items", "additionalProperties", "not"):
        yield from _undescribed(schema.get(key), f"{where}[]" if key == "items" else where)
    for key in ("anyOf", "allOf", "oneOf", "prefixItems"):
        for branch in schema.get(key, []):
            yield from _undescribed(branch, where)
    for name, definition in schema.get("$defs", {}).items():
        yield from _undescribed(definition, f"{where}.$defs.{name}")


def test_every_schema_property_has_a_description():
    missing = [field for name, schema in SCHEMAS.items() for field in _undescribed(schema, name)]
    assert not missing, "properties without a description:\n" + "\n".join(missing)


def test_the_walk_finds_undescribed_properties():
    nested = {
        "properties": {
            "a": {"description": "x", "items": {"properties": {"b": {"type": "integer"}}}},
            "c": {"anyOf": [{"properties": {"d": {}}}, {"type": "null"}], "description": "x"},
            "e": {"$ref": SCHEMA_PREFIX + "Problem"},
        },
        "$defs": {"F": {"properties": {"g": {}}}},
    }
    assert sorted(_undescribed(nested, "S")) == ["S.$defs.F.g", "S.a[].b", "S.c.d", "S.e"]


def _parameters() -> Iterator[tuple[tuple[str, str, str, str], dict[str, Any]]]:
    for method, path, operation in _operations():
        shared = DOCUMENT["paths"][path].get("parameters", [])
        for parameter in [*shared, *operation.get("parameters", [])]:
            yield (method, path, parameter["in"], parameter["name"]), parameter


def test_every_parameter_has_a_description():
    missing = {
        key for key, parameter in _parameters() if not parameter.get("description", "").strip()
    }
    new = sorted(missing - UNDESCRIBED_PARAMETERS.keys())
    assert not new, "parameters without a description:\n" + "\n".join(
        f"{method.upper()} {path} {where} {name}" for method, path, where, name in new
    )
    fixed = sorted(UNDESCRIBED_PARAMETERS.keys() - missing)
    assert not fixed, "described now, drop them from UNDESCRIBED_PARAMETERS:\n" + "\n".join(
        map(str, fixed)
    )


# --- examples ----------------------------------------------------------------------------


def test_every_request_body_has_an_example():
    missing = []
    for method, path, operation in _operations():
        if "requestBody" not in operation:
            continue
        content = operation["requestBody"]["content"]
        in_media = any("example" in media or media.get("examples") for media in content.values())
        in_schema = any(SCHEMAS[name].get("examples") for name in _body_schemas(operation))
        if not (in_media or in_schema):
            missing.append(f"{method.upper()} {path} ({', '.join(_body_schemas(operation))})")
    assert not missing, "request bodies without an example:\n" + "\n".join(missing)


def _body_models() -> Iterator[tuple[str, type[BaseModel]]]:
    app = create_app(Settings(_env_file=None))
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        annotation = route.body_field.field_info.annotation
        union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        for model in typing.get_args(annotation) if union else (annotation,):
            if isinstance(model, type) and issubclass(model, BaseModel):
                yield f"{route.name} ({model.__name__})", model


def test_request_body_examples_are_valid_bodies():
    invalid = []
    for where, model in _body_models():
        for index, example in enumerate(model.model_json_schema().get("examples", [])):
            try:
                model.model_validate(example)
            except ValidationError as exc:
                invalid.append(f"{where} example {index}: {exc}")
    assert not invalid, "\n".join(invalid)


# --- PATCH and null ----------------------------------------------------------------------


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        schema.get("nullable") is True
        or kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or None in schema.get("enum", [object()])
        or any(_nullable(branch) for branch in schema.get("anyOf", []) + schema.get("oneOf", []))
    )


def _patch_properties() -> dict[str, dict[str, Any]]:
    """`Schema.property` -> its schema, for every PATCH body and the schemas nested in them."""
    found: dict[str, dict[str, Any]] = {}
    pending = [
        name
        for method, _, operation in _operations()
        if method == "patch" and "requestBody" in operation
        for name in _body_schemas(operation)
    ]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for prop_name, prop in SCHEMAS[name].get("properties", {}).items():
            found[f"{name}.{prop_name}"] = prop
            pending.extend(_refs(prop))
    return found


PATCH_PROPERTIES = _patch_properties()


def test_patch_fields_are_nullable_only_where_null_means_something():
    wrong = []
    for field, prop in sorted(PATCH_PROPERTIES.items()):
        if _nullable(prop) and field not in PATCH_NULL_MEANS:
            wrong.append(
                f"{field} is documented nullable: declare it `X = patch_field(...)` so null "
                "is refused, or add it to PATCH_NULL_MEANS with what null does"
            )
        if not _nullable(prop) and "default" in prop and prop["default"] is None:
            wrong.append(f"{field} refuses null but documents `default: null`")
    for field in sorted(PATCH_NULL_MEANS):
        if field not in PATCH_PROPERTIES or not _nullable(PATCH_PROPERTIES[field]):
            wrong.append(f"{field} is not a nullable PATCH field: drop it from PATCH_NULL_MEANS")
    assert not wrong, "\n".join(wrong)


def test_the_patch_walk_sees_every_patch_body():
    bodies = {field.split(".")[0] for field in PATCH_PROPERTIES}
    assert {
        "AppointmentUpdate",
        "BranchUpdate",
        "CompanyAdminUpdate",
        "CompanySettings",
        "CallbackSla",
        "CompanyUpdate",
        "CustomerUpdate",
        "PhoneNumberUpdate",
        "ServiceUpdate",
        "StaffUpdate",
    } <= bodies


PATCH_OPERATIONS = sorted(
    (path, _body_schemas(operation)[0])
    for method, path, operation in _operations()
    if method == "patch" and "requestBody" in operation
)


def _null_bodies(schema_name: str) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(field, a body setting just it to null, whether null is documented) for the body's
    properties and, through objects it embeds, their nested properties."""
    for prop_name, prop in SCHEMAS[schema_name]["properties"].items():
        field = f"{schema_name}.{prop_name}"
        yield field, {prop_name: None}, _nullable(prop)
        for nested in sorted(set(_refs(prop))):
            if nested in SCHEMAS and "properties" in SCHEMAS[nested]:
                for inner_field, inner_body, documented in _null_bodies(nested):
                    yield inner_field, {prop_name: inner_body}, documented


@pytest.mark.parametrize(("path", "schema_name"), PATCH_OPERATIONS)
async def test_null_is_refused_exactly_where_the_document_says(
    admin_client, company_client, path, schema_name
):
    # Ids that match nothing: a body that passes validation answers 404, one that does not
    # answers 422 first. /api/v1/company is the caller's own company.
    url = path.format_map(_AnyId())
    client = admin_client if path.startswith("/api/v1/companies/") else company_client
    wrong = []
    for field, body, documented in _null_bodies(schema_name):
        response = await client.patch(url, json=body)
        if documented and response.status_code == 422:
            wrong.append(f"{field}: documented nullable, but null answered 422 {response.text}")
        if not documented:
            fields = [error["field"] for error in response.json().get("errors", [])]
            expected = "body." + ".".join(_path_of(body))
            if response.status_code != 422 or fields != [expected]:
                wrong.append(
                    f"{field}: not nullable, so null must be 422 naming {expected}; got "
                    f"{response.status_code} {response.text}"
                )
    assert not wrong, f"PATCH {path}:\n" + "\n".join(wrong)


class _AnyId(dict):
    def __missing__(self, key: str) -> int:
        return MAX_ID


def _path_of(body: dict[str, Any]) -> list[str]:
    (key, value), *_ = body.items()
    return [key, *_path_of(value)] if isinstance(value, dict) else [key]
