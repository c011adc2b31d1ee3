"""HTTP load from `wrk` (a C load generator), so the figures are the server's, not a Python
client's: one Lua script per row, one JSON line of results read back from its `done()`.

A row sends one request over and over (static: the cheapest for wrk), or cycles through a
list of requests (distinct bodies or paths, e.g. a booking per slot). With `limit`, exactly
that many requests are sent (each connection asks `delay()` before its next request; past
the limit the answer is "in an hour") and the run stops when they are all answered (wrk's
main thread sleeps for the whole -d: the script says so on stderr, and this module sends
wrk the SIGINT that ends a run early), so a
row of distinct bookings never repeats one and the contested row sends exactly 200.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = (
    "wrk is not installed: the benchmark drives HTTP load with it. Install it with "
    "`apt-get install -y wrk` (Debian/Ubuntu, as root) or `brew install wrk`, then run "
    "`make bench` again."
)
RESULT_MARK = "BENCH_RESULT "
LIMIT_MARK = "BENCH_LIMIT_REACHED"


class WrkMissingError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


def wrk_binary() -> str:
    binary = shutil.which("wrk")
    if binary is None:
        raise WrkMissingError()
    return binary


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WrkResult:
    name: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: Counter[int]  # counted only for rows with a limit (else: non-2xx in `errors`)
    non_2xx: int
    socket_errors: int
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal (ASCII)


def _lua_request(request: Request, common: dict[str, str]) -> str:
    headers = {**common, **request.headers}
    if request.body is not None:
        headers.setdefault("Content-Type", "application/json")
    header_table = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    body = _lua_string(request.body) if request.body is not None else "nil"
    return (
        f"wrk.format({_lua_string(request.method)}, {_lua_string(request.path)}, "
        f"{{{header_table}}}, {body})"
    )


_COMMON = """
local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses") or {}
    for status, count in pairs(counted) do
      statuses[#statuses + 1] = string.format('"%d": %d', status, count)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "non_2xx": %d, "socket_errors": %d, "statuses": {%s}}\\n',
    RESULT_MARK, summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout, table.concat(statuses, ", ")))
end
"""

_CYCLE = """
local prepared = {}
local index = 0
function init(args)
  prepared = {%s}
end
function request()
  index = index %% #prepared + 1
  return prepared[index]
end
"""

_LIMIT = """
local limit = %d
local issued = 0
local answered = 0
statuses = {}
function delay()
  issued = issued + 1
  if issued > limit then return 3600000 end
  return 0
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  if answered == limit then
    io.stderr:write(LIMIT_MARK .. "\\n")
    wrk.thread:stop()
  end
end
"""


def lua_script(requests: list[Request], headers: dict[str, str], limit: int | None) -> str:
    parts = [
        f"RESULT_MARK = {_lua_string(RESULT_MARK)}",
        f"LIMIT_MARK = {_lua_string(LIMIT_MARK)}",
        _COMMON,
    ]
    if len(requests) == 1 and limit is None:
        (only,) = requests
        parts.append(f"wrk.method = {_lua_string(only.method)}")
        if only.body is not None:
            parts.append(f"wrk.body = {_lua_string(only.body)}")
            parts.append('wrk.headers["Content-Type"] = "application/json"')
        for name, value in {**headers, **only.headers}.items():
            parts.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    else:
        formatted = ",\n    ".join(_lua_request(r, headers) for r in requests)
        parts.append(_CYCLE % formatted)
    if limit is not None:
        parts.append(_LIMIT % limit)
    return "\n".join(parts)


def run_wrk(
    name: str,
    base_url: str,
    requests: list[Request],
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    limit: int | None = None,
    timeout_seconds: float = 10.0,
) -> WrkResult:
    """Drive `requests` at base_url with one wrk thread (the other core serves)."""
    binary = wrk_binary()
    # With a limit the run ends when the last answer arrives; the duration is only a cap.
    duration = max(1, round(seconds)) if limit is None else 120
    path = requests[0].path if len(requests) == 1 and limit is None else "/"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-", delete=False) as f:
        f.write(lua_script(requests, headers or {}, limit))
        script = Path(f.name)
    command = [
        binary,
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={timeout_seconds:g}s",
        "-s",
        str(script),
        base_url + path,
    ]
    try:
        stdout, stderr, code = _run(command, limit is not None, duration + 60)
    finally:
        script.unlink(missing_ok=True)
    line = next((ln for ln in stdout.splitlines() if ln.startswith(RESULT_MARK)), None)
    if code != 0 or line is None:
        raise RuntimeError(
            f"wrk failed for {name!r} (exit {code}):\n{stdout[-2000:]}\n{stderr[-2000:]}"
        )
    data = json.loads(line[len(RESULT_MARK) :])
    return WrkResult(
        name=name,
        connections=connections,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        statuses=Counter({int(k): v for k, v in data["statuses"].items()}),
        non_2xx=data["non_2xx"],
        socket_errors=data["socket_errors"],
    )


def _run(command: list[str], stop_at_mark: bool, timeout: float) -> tuple[str, str, int]:
    """Run wrk; when the script reports its limit reached, SIGINT it (again until it ends:
    a signal that arrives before wrk has installed its handler is ignored)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr_lines: list[str] = []

    def watch_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_lines.append(line)
            script_failed = ".lua:" in line  # wrk would go on without its script
            if script_failed or (stop_at_mark and line.strip() == LIMIT_MARK):
                while process.poll() is None:
                    process.send_signal(signal.SIGINT)
                    time.sleep(0.05)

    watcher = threading.Thread(target=watch_stderr, daemon=True)
    watcher.start()
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    assert process.stdout is not None
    stdout = process.stdout.read()
    process.wait()
    killer.cancel()
    watcher.join(timeout=5)
    return stdout, "".join(stderr_lines), process.returncode
