"""Retell function calls as the voice agent sends them: `{name, args, call}`, signed with
`x-retell-signature: v=<ms>,d=<hex HMAC-SHA256 of the raw body + ms>` (the bench's
RETELL_API_KEY), so every row pays for the signature check as production does."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import date

from bench.server import RETELL_API_KEY

FUNCTIONS_PATH = "/voice/retell/functions"
CALLER = "+4915199990000"
_call_ids = itertools.count(1)


def signature(raw: bytes, timestamp_ms: int | None = None) -> str:
    timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    digest = hmac.new(
        RETELL_API_KEY.encode(), raw + str(timestamp_ms).encode(), hashlib.sha256
    ).hexdigest()
    return f"v={timestamp_ms},d={digest}"


def check_availability(
    service_id: int, day: date, at: str, to_number: str, call_id: str | None = None
) -> tuple[str, dict[str, str]]:
    """A signed check_availability call: (raw JSON body, headers). Signed now: valid for
    Retell's 5-minute window, longer than any row that replays it."""
    raw = json.dumps(
        {
            "name": "check_availability",
            "args": {"service": str(service_id), "date": day.isoformat(), "time": at},
            "call": {
                "call_id": call_id or f"call_bench_{next(_call_ids)}",
                "from_number": CALLER,
                "to_number": to_number,
            },
        }
    )
    return raw, {"x-retell-signature": signature(raw.encode())}
