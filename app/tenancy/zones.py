"""The one time-zone rule: a branch's own zone, else its company's.

Input without an offset is read in it; output carries its offset; listings, availability
days, time off, the health day, Cal.com's attendee and slot queries, policy notice and
quota days all use it. Everything that needs a zone asks `zone_of`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo


class HasZone(Protocol):
    timezone: str | None


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_of(branch: HasZone | None, company: HasZone) -> ZoneInfo:
    name = (branch.timezone if branch is not None else None) or company.timezone
    return zone(name or "Europe/Berlin")
