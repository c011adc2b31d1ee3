"""Fault fixtures: a private redis-server per test, paused, killed and restarted by its pid.

The tests here never touch the suite's Redis (TEST_REDIS_URL): each test starts its own
`redis-server` on a free local port, and every app instance of the test (the suite's `app`,
through the `settings` overridden below, and `other_app`) uses it. The database is the
suite's (SQLite, or MariaDB when TEST_MYSQL_URL is set).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from asgi_lifespan import LifespanManager

from app.config import Settings
from app.main import create_app
from tests.conftest import STARTUP_SECONDS

REDIS_SERVER = shutil.which("redis-server")
START_TIMEOUT_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own; signals go to its pid only."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        assert self.process is not None, "redis-server is not running"
        return self.process.pid

    @property
    def log(self) -> Path:
        return self.workdir / "redis.log"

    def client(self) -> redis.Redis:
        """A plain client for looking at what the server holds (never while paused)."""
        return redis.Redis(
            host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=1.0
        )

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self._starts += 1
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "no",
            "daemonize": "no",
            "dir": str(self.workdir),
            "dbfilename": "dump.rdb",
        }
        argv = [self.binary]
        for name, value in options.items():
            argv += [f"--{name}", value]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        with contextlib.closing(self.client()) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {self.process.returncode}:\n"
                        + self.log.read_text(errors="replace")[-2000:]
                    )
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"redis-server on port {self.port} did not answer PING within "
                        f"{START_TIMEOUT_SECONDS} s"
                    )
                time.sleep(0.01)

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """SIGSTOP for the block; SIGCONT when it ends, also when it fails."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    def kill(self) -> None:
        """SIGKILL: gone at once, nothing saved."""
        assert self.process is not None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def restart(self, *, empty: bool = True) -> None:
        """Start again on the same port: empty, or (empty=False) from the last SAVE."""
        if self.process is not None and self.process.poll() is None:
            self.kill()
        if empty:
            (self.workdir / "dump.rdb").unlink(missing_ok=True)
        self.start()

    def stop(self) -> None:
        """SIGCONT (a paused server cannot act on SIGTERM), SIGTERM, then SIGKILL."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_SECONDS)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip(
            "redis-server is not installed: the Redis fault tests start a private "
            "redis-server (apt-get install redis-server)"
        )
    server = PrivateRedis(REDIS_SERVER, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings, private_redis: PrivateRedis) -> Settings:
    """The suite's settings (its database), with this test's private Redis."""
    return settings.model_copy(update={"redis_url": private_redis.url})


@pytest.fixture
async def other_app(app, settings: Settings, pinned_clock) -> AsyncIterator:
    """A second instance sharing the database, the private Redis and the pinned clock."""
    instance = create_app(settings)
    instance.state.now = app.state.now
    instance.state.settings = app.state.settings
    async with LifespanManager(instance, startup_timeout=STARTUP_SECONDS):
        yield instance
