"""Fixed-window request limits per key, counted in the shared cache (Redis across workers)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.cache import Cache
from app.errors import RateLimitedError

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Counted:
    """One request counted in its window (and, if asked for, a generation read with it)."""

    count: int
    window: int
    now: float
    generation: int | None = None

    def enforce(self, limit_per_minute: int) -> None:
        """Raise RateLimitedError once the window's budget is spent."""
        if self.count > limit_per_minute:
            retry_after = max(1, int((self.window + 1) * WINDOW_SECONDS - self.now + 0.999))
            raise RateLimitedError(retry_after)


class RateLimiter:
    def __init__(self, cache: Cache, clock: Callable[[], float] = time.time) -> None:
        self._cache = cache
        self._clock = clock

    def _counter(self, key: str) -> tuple[str, int, float]:
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        return f"ratelimit:{key}:{window}", window, now

    async def hit(self, key: str, limit_per_minute: int) -> None:
        """Count one request; raise RateLimitedError once the window's budget is spent."""
        counter, window, now = self._counter(key)
        count = await self._cache.incr(counter, WINDOW_SECONDS + 1)
        Counted(count, window, now).enforce(limit_per_minute)

    async def count_reading(
        self, key: str, generation_key: str, read_ahead: Sequence[str] = ()
    ) -> Counted:
        """Count one request and read a cache generation (and `read_ahead`'s, for the
        request's later lookups) in the same round trip; the caller enforces the limit once
        it knows it."""
        counter, window, now = self._counter(key)
        count, generation = await self._cache.incr_reading(
            counter, WINDOW_SECONDS + 1, generation_key, read_ahead
        )
        return Counted(count, window, now, generation)
