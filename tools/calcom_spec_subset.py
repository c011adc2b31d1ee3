"""Cut Cal.com's published OpenAPI v2 document down to the operations this service calls.

The contract tests (tests/calcom/test_contract.py) check every request the client sends
against the copy this writes to tests/calcom/calcom-openapi-v2.subset.json. Run it again
when the client starts calling another operation or Cal.com publishes a new document:

    python tools/calcom_spec_subset.py path/to/calcom-openapi-v2.json

The full document is published by Cal.com at https://api.cal.com/v2/docs (OpenAPI JSON,
"Cal.com API v2"); the copy used here was taken from it in November 2026.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests" / "calcom" / "calcom-openapi-v2.subset.json"
SOURCE = "https://api.cal.com/v2/docs (Cal.com API v2 OpenAPI document), copied 2026-11"
PATHS = (
    "/v2/slots",
    "/v2/bookings",
    "/v2/bookings/{bookingUid}",
    "/v2/bookings/{bookingUid}/cancel",
    "/v2/bookings/{bookingUid}/reschedule",
)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def subset(document: dict[str, Any]) -> dict[str, Any]:
    paths = {path: document["paths"][path] for path in PATHS}
    schemas = document["components"]["schemas"]
    wanted, todo = set(), _refs(paths)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo |= _refs(schemas[name]) - wanted
    return {
        "openapi": document["openapi"],
        "info": {**document["info"], "x-source": SOURCE, "x-subset-of-paths": list(PATHS)},
        "paths": paths,
        "components": {"schemas": {name: schemas[name] for name in sorted(wanted)}},
    }


def main(source: str) -> None:
    document = json.loads(Path(source).read_text())
    result = subset(document)
    OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(
        f"wrote {OUT.name}: {len(result['paths'])} paths, "
        f"{len(result['components']['schemas'])} schemas ({OUT.stat().st_size // 1024} KB)"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/calcom_spec_subset.py path/to/calcom-openapi-v2.json")
    main(sys.argv[1])
