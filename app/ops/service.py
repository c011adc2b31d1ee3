"""Readiness checks of the components the service depends on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.cache import Cache

CHECK_TIMEOUT_SECONDS = 2.0


@dataclass
class ComponentStatus:
    name: str
    ok: bool
    detail: str


class ReadinessService:
    def __init__(self, engine: AsyncEngine, cache: Cache, redis_configured: bool) -> None:
        self.engine = engine
        self.cache = cache
        self.redis_configured = redis_configured

    async def check(self) -> list[ComponentStatus]:
        checks = [self._database()]
        if self.redis_configured:
            checks.append(self._redis())
        return list(await asyncio.gather(*checks))

    async def _database(self) -> ComponentStatus:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            return ComponentStatus("database", False, f"{type(exc).__name__}: {exc}"[:300])
        return ComponentStatus("database", True, "ok")

    async def _redis(self) -> ComponentStatus:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                ok = await self.cache.ping()
        except TimeoutError:
            ok = False
        detail = "ok" if ok else "unreachable; serving from the in-process fallback cache"
        return ComponentStatus("redis", ok, detail)
