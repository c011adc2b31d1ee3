"""Fixed-window request limits per key, counted in the shared cache (Redis across workers)."""

from __future__ import annotations

import time
from collections.abc import Callable

from app.cache import Cache
from app.errors import RateLimitedError

WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, cache: Cache, clock: Callable[[], float] = time.time) -> None:
        self._cache = cache
        self._clock = clock

    async def hit(self, key: str, limit_per_minute: int) -> None:
        """Count one request; raise RateLimitedError once the window's budget is spent."""
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        count = await self._cache.incr(f"ratelimit:{key}:{window}", WINDOW_SECONDS + 1)
        if count > limit_per_minute:
            retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
            raise RateLimitedError(retry_after)
