"""A small closed-loop load generator: N requests, C in flight, latencies per request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

RequestFn = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass
class Result:
    name: str
    requests: int
    concurrency: int
    latencies_ms: list[float]
    statuses: Counter[int]
    elapsed_s: float

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0
