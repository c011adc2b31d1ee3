"""One Redis script called by every request, over one connection, auto-pipelined.

Each keyed request runs the rate-limit script once (app.cache.RedisCache.incr_reading).
Through redis-py, one call costs ~70 µs of this process's CPU at 50 requests in flight
(the connection pool, the command packing and the replies read one await at a time), which
was a quarter of a cached answer's cost. Here the calls made in one turn of the event loop
are written to Redis together, and the replies, which Redis sends in order, are parsed as
they arrive and handed to their callers: ~3 µs a call.

Only the calls of one script go this way; everything else uses redis-py. A URL this
connection does not speak (TLS, a Unix socket) keeps the script on redis-py too.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Sequence
from typing import Any

from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError


class _Incomplete(Exception):
    """The buffer ends inside a reply: wait for more data."""


def encode_command(*parts: str | bytes | int) -> bytes:
    """A command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def parse_reply(buffer: bytes | bytearray, position: int = 0) -> tuple[Any, int]:
    """One RESP2 reply at `position`: (value, position after it). Error replies come back as
    ResponseError values (not raised): they answer one caller, not the connection."""
    end = buffer.find(b"\r\n", position)
    if end < 0:
        raise _Incomplete
    kind, line = buffer[position : position + 1], bytes(buffer[position + 1 : end])
    after = end + 2
    if kind == b"+":
        return line.decode(), after
    if kind == b"-":
        return ResponseError(line.decode()), after
    if kind == b":":
        return int(line), after
    if kind == b"$":
        length = int(line)
        if length < 0:
            return None, after
        if len(buffer) < after + length + 2:
            raise _Incomplete
        return bytes(buffer[after : after + length]).decode(), after + length + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, after
        items = []
        for _ in range(count):
            item, after = parse_reply(buffer, after)
            items.append(item)
        return items, after
    raise RedisConnectionError(f"unexpected reply from Redis: {bytes(buffer[position:end])!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.lost: BaseException | None = None
        # Commands of this turn of the event loop, written together at its end.
        self.pending: list[bytes] = []
        self.flush_scheduled = False

    def send(self, command: bytes) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.waiting.append(future)
        self.pending.append(command)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self.flush_scheduled = False
        pending, self.pending = self.pending, []
        if self.lost is None and self.transport is not None:
            self.transport.write(b"".join(pending))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        position = 0
        while self.waiting:
            try:
                reply, position = parse_reply(self.buffer, position)
            except _Incomplete:
                break
            except RedisConnectionError as exc:  # out of step: nothing after can be trusted
                self._fail(exc)
                return
            future = self.waiting.popleft()
            if not future.done():  # a caller that gave up (timed out) is skipped
                future.set_result(reply)
        del self.buffer[:position]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or RedisConnectionError("connection to Redis closed")
        self._fail(self.lost)

    def _fail(self, exc: BaseException) -> None:
        self.lost = exc
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(RedisConnectionError(str(exc) or repr(exc)))
        if self.transport is not None:
            self.transport.close()


class PipelinedScript:
    """Calls one Lua script over a connection of its own; concurrent calls are written
    together, one write per turn of the event loop."""

    def __init__(
        self, host: str, port: int, db: int, password: str | None, username: str | None, script: str
    ) -> None:
        self._address = (host, port)
        self._login = (
            [encode_command("AUTH", *([username] if username else []), password)]
            if password
            else []
        )
        self._select = encode_command("SELECT", db)
        self._script = script
        self._sha = hashlib.sha1(script.encode()).hexdigest()
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None

    @classmethod
    def from_url(cls, url: str, script: str) -> PipelinedScript | None:
        """None for a URL this connection does not speak (TLS, a Unix socket)."""
        options = parse_url(url)
        if "connection_class" in options or "host" not in options:
            return None
        return cls(
            options["host"],
            int(options.get("port") or 6379),
            int(options.get("db") or 0),
            options.get("password"),
            options.get("username"),
            script,
        )

    async def __call__(self, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        reply = await self._send(encode_command("EVALSHA", self._sha, len(keys), *keys, *args))
        if isinstance(reply, ResponseError) and str(reply).startswith("NOSCRIPT"):
            # Redis lost its scripts (restarted, flushed): load it once, then call again.
            await self._send(encode_command("SCRIPT", "LOAD", self._script))
            reply = await self._send(encode_command("EVALSHA", self._sha, len(keys), *keys, *args))
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def _send(self, command: bytes) -> Any:
        return await (await self._connected()).send(command)

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.lost is None:
            return protocol
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            protocol = self._protocol
            if protocol is not None and protocol.lost is None:
                return protocol
            loop = asyncio.get_running_loop()
            try:
                _, protocol = await loop.create_connection(_Protocol, *self._address)
            except OSError as exc:
                raise RedisConnectionError(f"cannot connect to Redis: {exc}") from exc
            setup = [protocol.send(command) for command in (*self._login, self._select)]
            for reply in await asyncio.gather(*setup):
                if isinstance(reply, ResponseError):
                    protocol.transport.close()  # type: ignore[union-attr]
                    raise reply
            self._protocol = protocol
            return protocol

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None
