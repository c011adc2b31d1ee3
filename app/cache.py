"""Cache protocol with an in-process and a Redis implementation.

Redis errors never fail a request: the Redis cache falls back to a local memory cache and
logs, so an outage degrades sharing across workers, not the service.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Protocol

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

logger = logging.getLogger("app.cache")


class Cache(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None: ...
    async def delete(self, *keys: str) -> None: ...
    async def incr(self, key: str, ttl_seconds: float | None = None) -> int:
        """Increment and return; `ttl_seconds` is applied when the key is created."""
        ...

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryCache:
    """Process-local cache with per-key expiry; expired keys are dropped lazily."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._max_entries = max_entries

    def _live(self, key: str) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at is not None and expires_at <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        if len(self._data) >= self._max_entries:
            self._evict_expired_or_oldest()
        expires_at = time.monotonic() + ttl_seconds if ttl_seconds else None
        self._data[key] = (value, expires_at)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def incr(self, key: str, ttl_seconds: float | None = None) -> int:
        current = self._live(key)
        if current is None:
            await self.set(key, "1", ttl_seconds)
            return 1
        value = int(current) + 1
        self._data[key] = (str(value), self._data[key][1])
        return value

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()

    def _evict_expired_or_oldest(self) -> None:
        now = time.monotonic()
        expired = [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]
        for key in expired:
            del self._data[key]
        if len(self._data) >= self._max_entries:
            # dicts keep insertion order: drop the oldest tenth.
            for key in list(self._data)[: self._max_entries // 10 or 1]:
                del self._data[key]


class RedisCache:
    """Redis-backed cache shared by all workers; falls back to memory while Redis is down."""

    def __init__(self, url: str, fallback: MemoryCache | None = None) -> None:
        self._redis = redis_asyncio.from_url(
            url,
            decode_responses=True,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            health_check_interval=30,
        )
        self._fallback = fallback or MemoryCache()
        self._degraded = False

    @property
    def degraded(self) -> bool:
        return self._degraded

    def _on_error(self, operation: str, exc: Exception) -> None:
        if not self._degraded:
            logger.warning(
                "cache.redis_unavailable", extra={"operation": operation, "error": str(exc)}
            )
        self._degraded = True

    def _on_success(self) -> None:
        if self._degraded:
            logger.info("cache.redis_recovered")
        self._degraded = False

    async def get(self, key: str) -> str | None:
        try:
            value = await self._redis.get(key)
        except (RedisError, OSError) as exc:
            self._on_error("get", exc)
            return await self._fallback.get(key)
        self._on_success()
        return value

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        try:
            if ttl_seconds:
                await self._redis.set(key, value, px=int(ttl_seconds * 1000))
            else:
                await self._redis.set(key, value)
        except (RedisError, OSError) as exc:
            self._on_error("set", exc)
            await self._fallback.set(key, value, ttl_seconds)
            return
        self._on_success()

    async def delete(self, *keys: str) -> None:
        await self._fallback.delete(*keys)
        if not keys:
            return
        try:
            await self._redis.delete(*keys)
        except (RedisError, OSError) as exc:
            self._on_error("delete", exc)
            return
        self._on_success()

    async def incr(self, key: str, ttl_seconds: float | None = None) -> int:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                if ttl_seconds:
                    # NX: only the request that creates the key sets its expiry.
                    pipe.pexpire(key, int(ttl_seconds * 1000), nx=True)
                value, *_ = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._on_error("incr", exc)
            return await self._fallback.incr(key, ttl_seconds)
        self._on_success()
        return int(value)

    async def ping(self) -> bool:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            self._on_error("ping", exc)
            return False
        self._on_success()
        return True

    async def close(self) -> None:
        await self._redis.aclose()


def create_cache(redis_url: str | None) -> MemoryCache | RedisCache:
    return RedisCache(redis_url) if redis_url else MemoryCache()


class GenerationCache:
    """JSON values of one company and namespace, all invalidated at once by bumping a
    generation number, so invalidation is a single write.

    Read and write through one `snapshot()`: the generation is read once, before the value
    is computed, so a result computed from data older than a bump is stored under the old
    generation, where nobody reads it any more.
    """

    def __init__(self, cache: Cache, namespace: str, company_id: int, ttl_seconds: float) -> None:
        self.cache = cache
        self.ttl_seconds = ttl_seconds
        self.base = f"{namespace}:{company_id}"

    @property
    def generation_key(self) -> str:
        return f"{self.base}:gen"

    async def snapshot(self) -> GenerationSnapshot:
        generation = await self.cache.get(self.generation_key) or "0"
        return GenerationSnapshot(self, f"{self.base}:{generation}")

    async def invalidate(self) -> None:
        await self.cache.incr(self.generation_key)


class GenerationSnapshot:
    def __init__(self, owner: GenerationCache, prefix: str) -> None:
        self.owner = owner
        self.prefix = prefix

    async def get(self, key: str) -> Any | None:
        raw = await self.owner.cache.get(f"{self.prefix}:{key}")
        return json.loads(raw) if raw is not None else None

    async def set(self, key: str, value: Any) -> None:
        await self.owner.cache.set(
            f"{self.prefix}:{key}", json.dumps(value), self.owner.ttl_seconds
        )
