"""The shared cache: an in-process implementation and a Redis one.

Two kinds of data live here, and they fail differently:

- **Shared state** (rate-limit counters, the Cal.com breaker, Cal.com's own slots): while
  Redis is unavailable each process keeps its own in memory, so the service stays up.
- **Copies of database state** (resolved API keys, availability, effective policies), read
  and written through `read_versioned` / `write_versioned` under a generation number whose
  record is in the database (`app.invalidation`). A copy is served only while this process
  knows Redis to be in step with the database; see `RedisCache` for how it knows.

Redis is given tight timeouts: a hung Redis costs one request at most `OP_TIMEOUT_SECONDS`;
after that, requests skip it until it answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

import redis as redis_sync
import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from app.redis_pipe import PipelinedScript

logger = logging.getLogger("app.cache")
T = TypeVar("T")

# A Redis call that has not answered within this is abandoned (request falls back).
OP_TIMEOUT_SECONDS = 0.2
# The watcher's heartbeat: one PING every interval, one outstanding at most.
HEARTBEAT_SECONDS = 0.05
# A reply slower than this means Redis (or this process) stalled: copies are not trusted
# until the generations have been copied again from the database. Smaller than
# OP_TIMEOUT_SECONDS + HEARTBEAT_SECONDS, so every stall long enough to make a write fail is
# seen by every process that watches.
STALL_SECONDS = 0.1
# Without a heartbeat answer for this long, Redis counts as unreachable.
LEASE_SECONDS = 0.25
# While in step, generations changed in the database this recently are copied again every
# POLL_SECONDS: the backstop for an after-commit copy lost by another process.
POLL_SECONDS = 1.0
POLL_LOOKBACK_SECONDS = 60.0
# Connections to Redis per process; more calls in flight wait for a free one.
MAX_CONNECTIONS = 64
# After a Redis error without a watcher (a bare client), Redis is skipped this long.
RETRY_AFTER_SECONDS = 0.5
# What a process keeps of the copies it has read from or written to Redis.
LOCAL_COPIES_MAX_BYTES = 32 * 1024 * 1024

GenerationSource = Callable[[datetime | None], Awaitable[Iterable[tuple[str, int]]]]


class Cache(Protocol):
    # Objects computed from the database, kept in this process per generation.
    computed: ComputedCopies

    # --- shared state ------------------------------------------------------------------
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None: ...
    async def delete(self, *keys: str) -> None: ...
    async def incr(self, key: str, ttl_seconds: float | None = None) -> int:
        """Increment and return; `ttl_seconds` is applied when the key is created."""
        ...

    async def incr_reading(
        self,
        key: str,
        ttl_seconds: float,
        generation_key: str,
        read_ahead: Sequence[str] = (),
    ) -> tuple[int, int | None]:
        """`incr`, and the copy of a generation read in the same round trip: (count,
        generation), the generation None when copies cannot be trusted now. The
        `read_ahead` generations are read in that round trip too, for this request's later
        `read_versioned` calls (see `read_ahead_scope`)."""
        ...

    # --- copies of database state ------------------------------------------------------
    async def read_versioned(
        self, generation_key: str, entry_prefix: str, entry_key: str
    ) -> tuple[int, str | None] | None:
        """(generation, the entry stored under it) in one round trip, or None when copies
        cannot be trusted now (then compute from the database and do not store)."""
        ...

    async def write_versioned(self, key: str, value: str, ttl_seconds: float) -> None: ...
    async def raise_generation(self, generation_key: str, generation: int) -> None:
        """Make the copy of a generation at least `generation` (never lower it)."""
        ...

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self, source: GenerationSource | None = None) -> None: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


def versioned_key(prefix: str, generation: int, key: str) -> str:
    return f"{prefix}:{generation}:{key}"


@dataclass(frozen=True, slots=True)
class _ReadAhead:
    generation: int
    stalls: int  # the heartbeat's stall count when it was read (in step then)


# Generations read in this request's first Redis round trip, with its rate-limit count.
_read_ahead: ContextVar[dict[str, _ReadAhead] | None] = ContextVar("read_ahead", default=None)


def read_ahead_scope() -> Token[dict[str, _ReadAhead] | None]:
    """Start a request with nothing read ahead (pass the token to `end_read_ahead_scope`):
    a generation read for one request is never used by another."""
    return _read_ahead.set(None)


def end_read_ahead_scope(token: Token[dict[str, _ReadAhead] | None]) -> None:
    _read_ahead.reset(token)


class ComputedCopies:
    """Objects computed from the database (e.g. staff calendars), kept in this process
    under keys that carry the generation they were read under. A generation is never
    reused, so a kept object is what a new read under that generation would give; it is
    used only while the generation itself is trusted (the caller read it from the cache
    just now). At most `max_entries`, the least recently used go first: a calendar entry of
    10 staff over the 29-day search window is ~250 KB, so 512 entries bound it at ~120 MB;
    256 were too few for two weeks of checks (bench: uncached p99 57 ms against 48 ms).
    Kept objects are shared between requests: callers must not change them."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._max_entries = max_entries
        # Computations running now, by key: their result (None if they failed) once done.
        self._pending: dict[tuple[object, ...], asyncio.Future[object | None]] = {}

    async def get_or_compute(
        self, key: tuple[object, ...], compute: Callable[[], Awaitable[T]]
    ) -> T:
        """The kept value, else `compute()`'s, kept. Callers asking for a key while it is
        being computed wait for that computation instead of repeating it: a day's first
        checks arrive together, and each would read the same rows. If it fails (or its caller
        is cancelled), one waiter computes instead, for the others."""
        kept = self.get(key)
        if kept is not None:
            return kept  # type: ignore[return-value]
        pending = self._pending.get(key)
        if pending is not None:
            shared = await asyncio.shield(pending)
            if shared is not None:
                return shared  # type: ignore[return-value]
            return await self.get_or_compute(key, compute)  # it failed: the next one computes
        future: asyncio.Future[object | None] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        value: T | None = None
        try:
            value = await compute()
            self.put(key, value)
            return value
        finally:
            del self._pending[key]
            future.set_result(value)

    def get(self, key: tuple[object, ...]) -> object | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: tuple[object, ...], value: object) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class LocalCopies:
    """Entries this process has read from or written to Redis, kept until they expire there.

    An entry's key carries the generation it was stored under, and a generation is never
    reused (the database numbers them), so a kept entry is exactly what Redis holds under
    that key: serving it saves a round trip and can never serve something Redis would not.
    Bounded by size; the oldest go first."""

    def __init__(self, max_bytes: int = LOCAL_COPIES_MAX_BYTES) -> None:
        self._entries: dict[str, tuple[str, float]] = {}
        self._bytes = 0
        self._max_bytes = max_bytes

    def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            self._drop(key)
            return None
        return entry[0]

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        if ttl_seconds <= 0 or len(value) > self._max_bytes // 4:
            return
        self._drop(key)
        self._entries[key] = (value, time.monotonic() + ttl_seconds)
        self._bytes += len(value)
        while self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[0])

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


class MemoryCache:
    """Process-local cache with per-key expiry; expired keys are dropped lazily.

    The only copy there is (no Redis configured: one process), so always in step.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._max_entries = max_entries
        self.computed = ComputedCopies()

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

    async def incr_reading(
        self,
        key: str,
        ttl_seconds: float,
        generation_key: str,
        read_ahead: Sequence[str] = (),
    ) -> tuple[int, int | None]:
        # In process, every read is as cheap as a read ahead: nothing to keep.
        return await self.incr(key, ttl_seconds), int(self._live(generation_key) or 0)

    async def read_versioned(
        self, generation_key: str, entry_prefix: str, entry_key: str
    ) -> tuple[int, str | None]:
        generation = int(self._live(generation_key) or 0)
        return generation, self._live(versioned_key(entry_prefix, generation, entry_key))

    async def write_versioned(self, key: str, value: str, ttl_seconds: float) -> None:
        await self.set(key, value, ttl_seconds)

    async def raise_generation(self, generation_key: str, generation: int) -> None:
        if int(self._live(generation_key) or 0) < generation:
            self._data[generation_key] = (str(generation), None)

    async def start(self, source: GenerationSource | None = None) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()
        self.computed.clear()

    def _evict_expired_or_oldest(self) -> None:
        now = time.monotonic()
        expired = [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]
        for key in expired:
            del self._data[key]
        if len(self._data) >= self._max_entries:
            # dicts keep insertion order: drop the oldest tenth.
            for key in list(self._data)[: self._max_entries // 10 or 1]:
                del self._data[key]


# The generation and the entry stored under it, in one round trip.
_READ_VERSIONED = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. ':' .. generation .. ':' .. ARGV[2])}
"""
# Count a request (the expiry set by the request that creates the counter) and read
# generations (KEYS[2] onwards), in one round trip.
_INCR_READING = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local answer = {count}
for i = 2, #KEYS do answer[i] = redis.call('GET', KEYS[i]) or '0' end
return answer
"""
# Raise a generation copy, never lower it: copies may arrive out of order.
_RAISE_GENERATION = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


class RedisCache:
    """Redis shared by all workers and instances.

    Shared state falls back to memory while Redis is unavailable. Copies are served only
    while this process has watched Redis answer without a stall since it last copied the
    generations from the database (the record): a heartbeat thread PINGs Redis every 50 ms,
    and a missed or slow answer (Redis paused, killed, or this whole process descheduled)
    makes the copies untrusted until all generations are copied again (all: a Redis
    restarted from a snapshot may hold generations older than any recent change). So an
    invalidation whose after-commit copy failed is never hidden by a stale copy: every
    process that could read Redis during that stall saw it too, and repairs before trusting
    Redis again; a process that missed it (a network split) picks the change up within
    POLL_SECONDS.

    The heartbeat runs in a thread of its own, with a blocking client: what it measures is
    Redis, not how many requests this process's event loop is busy with. (Measured on the
    event loop, a loaded process took its own queueing for a Redis stall, stopped trusting
    its copies, served every request from the database and so stayed loaded.)
    """

    def __init__(self, url: str, fallback: MemoryCache | None = None) -> None:
        self._url = url
        # A blocking pool: when every connection is busy a call waits for one (within its
        # budget) instead of failing at once. redis-py's default pool raises
        # MaxConnectionsError past 100 calls in flight, which read as Redis being down:
        # under 200 concurrent bookings every process stopped trusting its copies.
        pool = redis_asyncio.BlockingConnectionPool.from_url(
            url,
            decode_responses=True,
            socket_timeout=OP_TIMEOUT_SECONDS,
            socket_connect_timeout=OP_TIMEOUT_SECONDS,
            max_connections=MAX_CONNECTIONS,
            timeout=OP_TIMEOUT_SECONDS,
        )
        self._redis = redis_asyncio.Redis.from_pool(pool)
        self._fallback = fallback or MemoryCache()
        self._read_versioned = self._redis.register_script(_READ_VERSIONED)
        self._raise_generation = self._redis.register_script(_RAISE_GENERATION)
        self._incr_reading = self._redis.register_script(_INCR_READING)
        # Every keyed request runs this script: auto-pipelined on a connection of its own.
        self._incr_reading_pipelined = PipelinedScript.from_url(url, _INCR_READING)
        self._local = LocalCopies()
        self.computed = ComputedCopies()
        self._source: GenerationSource | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._heartbeat: Heartbeat | None = None
        # In step: the generations were copied, and the heartbeat has counted no stall since
        # (its count then is kept here).
        self._in_step = False
        self._stalls_at_sync = -1
        self._first_sync = asyncio.Event()
        self._closing = False
        # Without a watcher: skip Redis until then after an error.
        self._skip_until = 0.0
        self._degraded = False

    # --- health ----------------------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        return self._degraded or not self._reachable()

    def _reachable(self) -> bool:
        now = time.monotonic()
        heartbeat = self._heartbeat
        if heartbeat is None:
            return now >= self._skip_until
        sent = heartbeat.ping_sent
        if sent is not None and now - sent > STALL_SECONDS:
            return False
        return now - heartbeat.last_answer < LEASE_SECONDS

    def copies_trusted(self) -> bool:
        heartbeat = self._heartbeat
        return (
            heartbeat is not None
            and self._in_step
            and heartbeat.stalls == self._stalls_at_sync
            and self._reachable()
        )

    def _redis_healthy_since(self, stalls: int | None) -> bool:
        """The heartbeat has seen Redis answer promptly throughout since it had counted
        `stalls`: a call that timed out meanwhile waited on this process's event loop."""
        heartbeat = self._heartbeat
        return (
            heartbeat is not None
            and stalls is not None
            and heartbeat.stalls == stalls
            and self._reachable()
        )

    def _on_error(self, operation: str, exc: BaseException, stalls: int | None = None) -> None:
        if isinstance(exc, TimeoutError) and self._redis_healthy_since(stalls):
            # Redis answered the heartbeat all along: this process was too busy to read the
            # reply in time. The call failed (the caller falls back); nothing else did.
            logger.info("cache.redis_call_slow", extra={"operation": operation})
            return
        if not self._degraded:
            logger.warning(
                "cache.redis_unavailable", extra={"operation": operation, "error": repr(exc)}
            )
        self._degraded = True
        self._in_step = False
        self._skip_until = time.monotonic() + RETRY_AFTER_SECONDS

    def _on_success(self) -> None:
        if self._degraded:
            logger.info("cache.redis_recovered")
        self._degraded = False

    async def _call(
        self,
        operation: str,
        call: Callable[[], Awaitable[object]],
        within_seconds: float = OP_TIMEOUT_SECONDS,
    ) -> object:
        """Run one Redis call within `within_seconds`; errors propagate to the caller."""
        stalls = self._heartbeat.stalls if self._heartbeat is not None else None
        try:
            async with asyncio.timeout(within_seconds):
                result = await call()
        except (RedisError, OSError, TimeoutError) as exc:
            self._on_error(operation, exc, stalls)
            raise
        self._on_success()
        return result

    # --- shared state ----------------------------------------------------------------------

    async def get(self, key: str) -> str | None:
        if not self._reachable():
            return await self._fallback.get(key)
        try:
            return await self._call("get", lambda: self._redis.get(key))  # type: ignore[return-value]
        except (RedisError, OSError, TimeoutError):
            return await self._fallback.get(key)

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        if not self._reachable():
            await self._fallback.set(key, value, ttl_seconds)
            return
        px = int(ttl_seconds * 1000) if ttl_seconds else None
        try:
            await self._call("set", lambda: self._redis.set(key, value, px=px))
        except (RedisError, OSError, TimeoutError):
            await self._fallback.set(key, value, ttl_seconds)

    async def delete(self, *keys: str) -> None:
        await self._fallback.delete(*keys)
        if not keys or not self._reachable():
            return
        try:
            await self._call("delete", lambda: self._redis.delete(*keys))
        except (RedisError, OSError, TimeoutError):
            return

    async def incr(self, key: str, ttl_seconds: float | None = None) -> int:
        if not self._reachable():
            return await self._fallback.incr(key, ttl_seconds)

        async def increment() -> int:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                if ttl_seconds:
                    # NX: only the request that creates the key sets its expiry.
                    pipe.pexpire(key, int(ttl_seconds * 1000), nx=True)
                value, *_ = await pipe.execute()
            return int(value)

        try:
            return await self._call("incr", increment)  # type: ignore[return-value]
        except (RedisError, OSError, TimeoutError):
            return await self._fallback.incr(key, ttl_seconds)

    async def incr_reading(
        self,
        key: str,
        ttl_seconds: float,
        generation_key: str,
        read_ahead: Sequence[str] = (),
    ) -> tuple[int, int | None]:
        if not self.copies_trusted():
            return await self.incr(key, ttl_seconds), None
        try:
            count, generation, *ahead = await self._call(  # type: ignore[misc]
                "incr_reading",
                lambda: (self._incr_reading_pipelined or self._incr_reading)(
                    keys=[key, generation_key, *read_ahead], args=[int(ttl_seconds * 1000)]
                ),
            )
        except (RedisError, OSError, TimeoutError):
            return await self._fallback.incr(key, ttl_seconds), None
        # As for read_versioned: the generations count only if no stall was seen meanwhile.
        if not self.copies_trusted():
            return int(count), None
        if read_ahead:
            stalls = self._stalls_at_sync
            _read_ahead.set(
                {
                    name: _ReadAhead(int(value), stalls)
                    for name, value in zip(read_ahead, ahead, strict=True)
                }
            )
        return int(count), int(generation)

    # --- copies ----------------------------------------------------------------------------

    async def read_versioned(
        self, generation_key: str, entry_prefix: str, entry_key: str
    ) -> tuple[int, str | None] | None:
        if not self.copies_trusted():
            return None
        ahead = (_read_ahead.get() or {}).get(generation_key)
        if ahead is not None and ahead.stalls == self._stalls_at_sync:
            return await self._read_entry(ahead.generation, entry_prefix, entry_key)
        try:
            generation, value = await self._call(  # type: ignore[misc]
                "read_versioned",
                lambda: self._read_versioned(keys=[generation_key], args=[entry_prefix, entry_key]),
            )
        except (RedisError, OSError, TimeoutError):
            return None
        # The answer may come from before a stall another process's write failed in: the
        # heartbeat must have seen no stall since the copies were last put in step (which
        # covers the whole call).
        if not self.copies_trusted():
            return None
        return int(generation), value

    async def _read_entry(
        self, generation: int, entry_prefix: str, entry_key: str
    ) -> tuple[int, str | None] | None:
        """The entry under a generation read ahead in this request (while in step, with no
        stall since): from this process's copies, else from Redis (kept for next time)."""
        key = versioned_key(entry_prefix, generation, entry_key)
        value = self._local.get(key)
        if value is not None:
            return generation, value

        async def entry_and_expiry() -> list[object]:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                return await pipe.execute()

        try:
            value, ttl_ms = await self._call("read_entry", entry_and_expiry)  # type: ignore[misc]
        except (RedisError, OSError, TimeoutError):
            return None
        if not self.copies_trusted():
            return None
        if value is not None:
            self._local.put(key, value, int(ttl_ms) / 1000)
        return generation, value

    async def write_versioned(self, key: str, value: str, ttl_seconds: float) -> None:
        if not self.copies_trusted():
            return
        self._local.put(key, value, ttl_seconds)
        try:
            await self._call(
                "write_versioned",
                lambda: self._redis.set(key, value, px=int(ttl_seconds * 1000)),
            )
        except (RedisError, OSError, TimeoutError):
            return

    async def raise_generation(self, generation_key: str, generation: int) -> None:
        # This request changed what the generation covers: it reads what it wrote from now on.
        (_read_ahead.get() or {}).pop(generation_key, None)

        def copy() -> Awaitable[object]:
            return self._raise_generation(keys=[generation_key], args=[generation])

        stalls = self._heartbeat.stalls if self._heartbeat is not None else None
        try:
            await self._call("raise_generation", copy)
            return
        except (RedisError, OSError, TimeoutError):
            if not self._redis_healthy_since(stalls):
                # The record is in the database; until the watcher has copied it, no copy
                # of this process is served (other processes: see the class docstring).
                self._in_step = False
                logger.warning("cache.generation_copy_failed", extra={"key": generation_key})
                return
        # Redis is answering, this process was slow to hear it: copy again, waiting longer,
        # so the copy is in Redis before the change is answered (as when nothing is slow).
        try:
            await self._call("raise_generation", copy, within_seconds=OP_TIMEOUT_SECONDS * 5)
        except (RedisError, OSError, TimeoutError):
            self._in_step = False
            logger.warning("cache.generation_copy_failed", extra={"key": generation_key})

    # --- watcher ---------------------------------------------------------------------------

    async def start(self, source: GenerationSource | None = None) -> None:
        """Start watching Redis; copies are trusted once the generations have been copied
        from `source` (the database). Without a source, copies are never served."""
        self._source = source
        if source is None or self._watcher is not None:
            return
        self._heartbeat = Heartbeat(self._url)
        self._heartbeat.start()
        self._watcher = asyncio.create_task(self._watch(), name="redis-watcher")
        # Give the first heartbeat and copy a moment, so a fresh process starts warm.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await self._first_sync.wait()

    async def _watch(self) -> None:
        """Keeps the copies in step: a full copy whenever they are not (after a stall, an
        error, or at start), and every POLL_SECONDS the generations changed lately."""
        assert self._heartbeat is not None
        heartbeat = self._heartbeat
        last_poll = time.monotonic()
        seen_failures = heartbeat.failures
        while not self._closing:
            if heartbeat.failures != seen_failures:
                seen_failures = heartbeat.failures
                self._on_error("ping", heartbeat.last_error or TimeoutError())
            elif self._reachable():
                self._on_success()
            try:
                if not self.copies_trusted() and self._reachable():
                    await self._resync()
                elif self.copies_trusted() and time.monotonic() - last_poll >= POLL_SECONDS:
                    last_poll = time.monotonic()
                    await self._resync(lookback=POLL_LOOKBACK_SECONDS)
            except Exception as exc:  # the database or Redis failed: stay out of step
                self._in_step = False
                logger.warning("cache.resync_failed", extra={"error": repr(exc)[:300]})
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def _resync(self, *, lookback: float | None = None) -> None:
        """Copy the database's generations into Redis: all of them, or (a poll) those
        changed within `lookback` seconds. In step afterwards only if the heartbeat saw no
        stall from before the rows were read until the copy was answered: a stall in
        between may have made another process's copy fail after the rows were read."""
        assert self._source is not None and self._heartbeat is not None
        stalls = self._heartbeat.stalls
        since = None
        if lookback is not None:
            # The real clock, as the rows are stamped (never a test's pinned app clock).
            since = datetime.now(UTC) - timedelta(seconds=lookback)
        rows = list(await self._source(since))
        if rows:
            async with asyncio.timeout(OP_TIMEOUT_SECONDS * 5):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for name, generation in rows:
                        await self._raise_generation(keys=[name], args=[generation], client=pipe)
                    await pipe.execute()
        if self._heartbeat.stalls != stalls or not self._reachable():
            self._in_step = False
            logger.warning("cache.resync_stalled", extra={"generations": len(rows)})
            return
        if lookback is None:
            if not self._in_step:
                logger.info("cache.copies_in_step", extra={"generations": len(rows)})
            self._stalls_at_sync = stalls
            self._in_step = True
            self._first_sync.set()

    async def ping(self) -> bool:
        try:
            await self._call("ping", self._redis.ping)
        except (RedisError, OSError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        if self._watcher is not None:
            # The flag ends the loop even if a cancellation is swallowed by a driver's
            # connect; shutdown never waits long for it.
            self._closing = True
            self._watcher.cancel()
            await asyncio.wait([self._watcher], timeout=1.0)
            self._watcher = None
        if self._heartbeat is not None:
            await asyncio.to_thread(self._heartbeat.stop)
            self._heartbeat = None
        self._local.clear()
        self.computed.clear()
        if self._incr_reading_pipelined is not None:
            self._incr_reading_pipelined.close()
        await self._redis.aclose()


class Heartbeat:
    """PINGs Redis every HEARTBEAT_SECONDS from a thread, with a blocking client of its own,
    and counts stalls (an answer slower than STALL_SECONDS, or none). Readers compare the
    count before and after what they need Redis to have been in step for."""

    def __init__(self, url: str) -> None:
        self._client = redis_sync.Redis.from_url(
            url, socket_timeout=OP_TIMEOUT_SECONDS, socket_connect_timeout=OP_TIMEOUT_SECONDS
        )
        self.last_answer = 0.0
        self.ping_sent: float | None = None
        self.stalls = 0
        self.failures = 0
        self.last_error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="redis-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = self.ping_sent = time.monotonic()
            try:
                self._client.ping()
            except (RedisError, OSError) as exc:
                self.last_error = exc
                self.stalls += 1
                self.failures += 1
            else:
                answered = time.monotonic()
                if answered - sent > STALL_SECONDS:
                    self.stalls += 1
                self.last_answer = answered
            # Cleared only after the count: a reader never sees a slow ping as neither
            # outstanding nor counted.
            self.ping_sent = None
            self._stop.wait(HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self._client.close()


def create_cache(redis_url: str | None) -> MemoryCache | RedisCache:
    return RedisCache(redis_url) if redis_url else MemoryCache()
