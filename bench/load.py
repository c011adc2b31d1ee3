"""A small closed-loop load generator: N requests, C in flight, latencies per request."""

from __future__ import annotations

import asyncio
import time
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


async def run(
    client: httpx.AsyncClient, name: str, request: RequestFn, requests: int, concurrency: int
) -> Result:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < requests:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            try:
                response = await request(client, index)
                statuses[response.status_code] += 1
            except httpx.HTTPError:
                statuses[0] += 1  # transport error or timeout
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, requests, concurrency, latencies, statuses, time.perf_counter() - started)
