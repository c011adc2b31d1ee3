"""Generations: the database's record of when cached copies went out of date.

A cached copy (a resolved API key, a day's availability, an effective policy) is stored under
a generation number. A change bumps the generation **in the database, in the change's own
transaction**, and copies the new number to the cache after commit. The database row is the
record, the cache holds a copy: if the copy cannot be written (Redis paused or down), the
change still commits, and the cache serves no copy until the generations have been copied
again (see `app.cache.RedisCache`).

A reader looks up the generation and the entry in one round trip and, on a miss, stores what
it computed under the generation it read *before* computing: an answer computed from data
older than a bump is stored where nobody reads any more.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, String, func, select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.cache import Cache, versioned_key
from app.db import Base, UTCDateTime, after_commit, utcnow
from app.schemas import StoredJSON


class CacheGeneration(Base):
    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


async def bump_generation(session: AsyncSession, name: str) -> int:
    """Add one to the generation `name` in the session's transaction; returns the new value.

    One statement on both databases (an upsert that hands back the new value), so a write
    pays one round trip for its invalidation.
    """
    now = utcnow()
    if session.get_bind().dialect.name in ("mysql", "mariadb"):
        stmt = (
            mysql.insert(CacheGeneration)
            .values(name=name, generation=1, updated_at=now)
            .on_duplicate_key_update(
                # LAST_INSERT_ID(expr) makes the new value the statement's insert id.
                generation=func.last_insert_id(CacheGeneration.generation + 1),
                updated_at=now,
            )
        )
        result = await session.execute(stmt)
        return int(result.lastrowid or 1)  # type: ignore[attr-defined]
    stmt = (
        sqlite.insert(CacheGeneration)
        .values(name=name, generation=1, updated_at=now)
        .on_conflict_do_update(
            index_elements=[CacheGeneration.name],
            set_={"generation": CacheGeneration.generation + 1, "updated_at": now},
        )
        .returning(CacheGeneration.generation)
    )
    return int((await session.execute(stmt)).scalar_one())


def generation_source(sessionmaker: async_sessionmaker[AsyncSession]):
    """What the cache's watcher copies from: generations changed since a moment (all: None)."""

    async def changed_since(since: datetime | None) -> Sequence[tuple[str, int]]:
        stmt = select(CacheGeneration.name, CacheGeneration.generation)
        if since is not None:
            stmt = stmt.where(CacheGeneration.updated_at >= since)
        async with sessionmaker() as session:
            rows = (await session.execute(stmt)).all()
            await session.rollback()
        return [(name, generation) for name, generation in rows]

    return changed_since


@dataclass
class Lookup:
    """One cached entry looked up: its value (None on a miss) and how to store a new one."""

    cache: GenerationCache
    key: str
    generation: int | None  # None: copies are not trusted now; nothing is stored
    raw: str | None  # the stored JSON, as stored (None on a miss)

    @property
    def value(self) -> Any | None:
        return json.loads(self.raw) if self.raw is not None else None

    async def store(self, value: Any) -> None:
        await self.store_raw(json.dumps(value))

    async def store_raw(self, raw: str) -> None:
        """Store JSON already serialised (e.g. a response body as it is sent)."""
        if self.generation is None:
            return
        await self.cache.cache.write_versioned(
            versioned_key(self.cache.base, self.generation, self.key),
            raw,
            self.cache.ttl_seconds,
        )


class GenerationCache:
    """JSON copies of one namespace (per company, or global when `scope` is None), all made
    stale at once by bumping one generation."""

    def __init__(
        self,
        cache: Cache,
        namespace: str,
        scope: int | None,
        ttl_seconds: float,
        *,
        generation: str | None = None,
    ):
        """`generation`: the namespace whose generation this one follows (default: its own),
        for copies of the same data kept in different shapes."""
        self.cache = cache
        self.ttl_seconds = ttl_seconds
        self.base = namespace if scope is None else f"{namespace}:{scope}"
        followed = generation or namespace
        self.generation_key = f"gen:{followed}" if scope is None else f"gen:{followed}:{scope}"

    async def lookup(self, key: str) -> Lookup:
        found = await self.cache.read_versioned(self.generation_key, self.base, key)
        if found is None:
            return Lookup(self, key, None, None)
        generation, raw = found
        return Lookup(self, key, generation, raw)

    async def invalidate(self, session: AsyncSession) -> None:
        """Make every copy stale when the session's transaction commits (and not before)."""
        generation = await bump_generation(session, self.generation_key)

        async def copy_generation() -> None:
            await self.cache.raise_generation(self.generation_key, generation)

        after_commit(session, copy_generation)


# A copy bigger than this is not kept: a cache of large pages would hold too much memory
# (the in-process cache keeps up to 100,000 entries).
MAX_STORED_RESPONSE_BYTES = 256 * 1024


async def cached_response(
    copies: GenerationCache, key: str, compute: Callable[[], Awaitable[BaseModel]]
) -> StoredJSON:
    """A response body as JSON: the copy stored under the current generation, else
    `compute()`'s model serialised (as FastAPI would: by alias) and stored for the next
    request. The generation is read before computing, so an answer computed from data
    older than a concurrent change is stored where nobody reads any more."""
    found = await copies.lookup(key)
    if found.raw is not None:
        return StoredJSON(found.raw)
    body = (await compute()).model_dump_json(by_alias=True)
    if len(body) <= MAX_STORED_RESPONSE_BYTES:
        await found.store_raw(body)
    return StoredJSON(body)


# The generation of everything bookable about one company: its branches, services, staff,
# working hours, time off, settings and appointments. The name predates the listings that
# follow it too; kept so that copies written by a running older process stay reachable.
COMPANY_STATE = "avail"
COMPANY_STATE_TTL_SECONDS = 60.0
# Effective policies (app.policies.resolver).
POLICIES = "policy"


def company_generation_keys(company_id: int) -> list[str]:
    """The generations a company's requests read most: read ahead with the request's
    rate-limit count, in the same Redis round trip (app.tenancy.auth)."""
    return [f"gen:{COMPANY_STATE}:{company_id}", f"gen:{POLICIES}:{company_id}"]


def company_state_cache(
    cache: Cache,
    company_id: int,
    namespace: str = COMPANY_STATE,
    ttl_seconds: float = COMPANY_STATE_TTL_SECONDS,
) -> GenerationCache:
    """Copies computed from a company's bookable state (availability, listings), all made
    stale by any write to that state: see `company_state_changed`."""
    return GenerationCache(cache, namespace, company_id, ttl_seconds, generation=COMPANY_STATE)


async def company_state_changed(session: AsyncSession, cache: Cache, company_id: int) -> None:
    """Call in every transaction that changes what a company can book or lists: the copies
    go stale when it commits."""
    await company_state_cache(cache, company_id).invalidate(session)


async def policy_targets_changed(session: AsyncSession, cache: Cache, company_id: int) -> None:
    """Call in every transaction that changes what an effective policy is resolved through
    (a staff member's or a service's branch, which entities exist): the company's effective
    policies go stale when it commits."""
    # Only the generation is bumped here: the TTL of the copies is the policies' own.
    await GenerationCache(cache, POLICIES, company_id, ttl_seconds=0).invalidate(session)
