"""Every request the client sends must fit Cal.com's published OpenAPI v2 document."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

# The operations this service calls, cut from Cal.com's published document; the source and
# how to refresh it are in tools/calcom_spec_subset.py.
SPEC_PATH = Path(__file__).resolve().parent / "calcom-openapi-v2.subset.json"
JSON_TYPES = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "number": (int, float),
    "integer": int,
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def operation(spec, method: str, path: str) -> dict[str, Any]:
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in Cal.com's API")


def resolve(spec, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def schema_errors(spec, schema: dict[str, Any], value: Any, where: str = "body") -> list[str]:
    """The subset of JSON Schema the Cal.com document uses: refs, all/oneOf, types, required,
    known properties. Unknown properties are errors so a misspelt field cannot slip through."""
    schema = resolve(spec, schema)
    if "allOf" in schema:
        return [e for part in schema["allOf"] for e in schema_errors(spec, part, value, where)]
    if "oneOf" in schema or "anyOf" in schema:
        options = schema.get("oneOf") or schema["anyOf"]
        results = [schema_errors(spec, option, value, where) for option in options]
        return [] if any(not r for r in results) else min(results, key=len)
    expected = schema.get("type")
    if expected and not isinstance(value, JSON_TYPES[expected]):
        return [f"{where}: expected {expected}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    errors: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}.{name}: required")
        for name, item in value.items():
            if name not in schema["properties"]:
                errors.append(f"{where}.{name}: not a known property")
            else:
                errors += schema_errors(spec, schema["properties"][name], item, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(spec, schema["items"], item, f"{where}[{index}]")
    return errors


def check_request(spec, request) -> list[str]:
    op = operation(spec, request.method, request.path)
    errors = []
    for parameter in op.get("parameters", []):
        source = request.headers if parameter["in"] == "header" else request.query
        key = parameter["name"].lower() if parameter["in"] == "header" else parameter["name"]
        if (
            parameter["in"] in ("header", "query")
            and parameter.get("required")
            and key not in source
        ):
            errors.append(f"{parameter['in']} {parameter['name']}: required")
        allowed = parameter.get("schema", {}).get("enum")
        if allowed and key in source and source[key] not in allowed:
            errors.append(
                f"{parameter['in']} {parameter['name']}: {source[key]!r} not in {allowed}"
            )
        default = parameter.get("schema", {}).get("default")
        if key == "cal-api-version" and source.get(key) != default:
            errors.append(f"cal-api-version: sent {source.get(key)!r}, spec says {default!r}")
    known_query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    errors += [
        f"query {name}: not a known parameter" for name in request.query if name not in known_query
    ]
    body_spec = op.get("requestBody")
    if body_spec is not None:
        schema = body_spec["content"]["application/json"]["schema"]
        errors += schema_errors(spec, schema, request.body)
    return errors


async def test_every_call_the_client_makes_fits_the_spec(spec, calcom, fake):
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    await calcom.get_slots(42, start, start.replace(hour=18), "Europe/Berlin")
    booking = await calcom.create_booking(
        42,
        start,
        {
            "name": "Erika",
            "timeZone": "Europe/Berlin",
            "phoneNumber": "+4915112345678",
            "language": "de",
        },
        {"appointment_id": "7"},
    )
    moved = await calcom.reschedule_booking(booking.uid, start.replace(hour=12), "customer asked")
    await calcom.cancel_booking(moved.uid, "ill")
    await calcom.cancel_booking(booking.uid)
    await calcom.list_bookings([42, 43], updated_after=start, take=100, skip=0)
    await calcom.list_bookings([42], created_after=start, take=100, skip=100)
    assert len(fake.requests) == 7
    for request in fake.requests:
        assert check_request(spec, request) == [], f"{request.method} {request.path}"


def test_the_checker_catches_a_misspelt_field(spec):
    class Request:
        method, path, query = "POST", "/v2/bookings", {}
        headers = {"cal-api-version": "2024-08-13"}
        body = {
            "start": "2026-12-01T10:00:00Z",
            "eventTypeId": 1,
            "attendee": {"name": "x", "timezone": "Europe/Berlin"},
        }

    errors = check_request(spec, Request())
    assert any("timeZone" in e or "timezone" in e for e in errors)
