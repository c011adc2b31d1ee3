"""Circuit breaker whose state lives in the shared cache, so every worker sees the same state.

closed -> open after `failure_threshold` consecutive failures -> after `reset_timeout` one
probe call is let through (half-open) -> closed on its success, open again on its failure.
With Redis the state is shared across workers and instances; while Redis is down the cache
falls back to memory and each process keeps its own breaker.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable

from app.cache import Cache
from app.calcom.errors import CalcomCircuitOpenError

logger = logging.getLogger("app.calcom.breaker")


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        cache: Cache,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
        on_state_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.cache = cache
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.clock = clock
        self.on_state_change = on_state_change or (lambda state: None)
        self._failures_key = f"breaker:{name}:failures"
        self._opened_key = f"breaker:{name}:opened_at"

    async def state(self) -> BreakerState:
        opened_at = await self.cache.get(self._opened_key)
        if opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - float(opened_at) < self.reset_timeout:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    async def before_call(self) -> None:
        """Raise CalcomCircuitOpenError unless a call may go out now."""
        opened_at = await self.cache.get(self._opened_key)
        if opened_at is None:
            return
        if self.clock() - float(opened_at) < self.reset_timeout:
            raise CalcomCircuitOpenError(f"circuit {self.name} is open")
        # Half-open: the first caller to claim this opening's probe slot goes through.
        claims = await self.cache.incr(f"breaker:{self.name}:probe:{opened_at}", self.reset_timeout)
        if claims != 1:
            raise CalcomCircuitOpenError(f"circuit {self.name} is half-open; probe under way")
        self.on_state_change(BreakerState.HALF_OPEN)

    async def record_success(self) -> None:
        if await self.cache.get(self._opened_key) is not None:
            logger.info("breaker.closed", extra={"breaker": self.name})
        await self.cache.delete(self._opened_key, self._failures_key)
        self.on_state_change(BreakerState.CLOSED)

    async def record_failure(self) -> None:
        opened_at = await self.cache.get(self._opened_key)
        if opened_at is not None:
            # A failed probe (or a late failure while open): open again for a full period.
            await self._open()
            return
        failures = await self.cache.incr(self._failures_key)
        if failures >= self.failure_threshold:
            await self._open()

    async def _open(self) -> None:
        await self.cache.set(self._opened_key, repr(self.clock()))
        await self.cache.delete(self._failures_key)
        logger.warning("breaker.opened", extra={"breaker": self.name})
        self.on_state_change(BreakerState.OPEN)
