"""The README's main-flow examples, run as a new user would after `make run`.

A fresh SQLite database is migrated and seeded with the demo salon by the CLI (as
`make run` does), the service is served by uvicorn, and the README's first shell block
runs in bash against it with the printed key. Each `curl` answers the status its comment
promises, in order.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
# Records each curl's status in order; prints the body as curl would.
CURL_SHIM = r"""
curl() {
  local out
  out=$(command curl -sS -w '\n%{http_code}' "$@") || return 1
  printf '%s\n' "${out%$'\n'*}"
  printf '%s\n' "${out##*$'\n'}" >> "$STATUS_LOG"
}
"""


def _main_flows() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Try it") :]
    return re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL).group(1)


def _expected_statuses(block: str) -> list[int]:
    """The status named in the comment above each command, one per curl it runs."""
    expected, promised = [], None
    for line in block.splitlines():
        if line.startswith("#"):
            found = re.search(r"\((\d{3})\b", line)
            promised = int(found.group(1)) if found else promised
        expected += [promised] * len(re.findall(r"\bcurl\b", line.split("#")[0]))
    return expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo(tmp_path: Path):
    """(base URL, demo key) of a freshly seeded demo salon served from tmp_path."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEST_")}
    env |= {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "LOG_LEVEL": "ERROR"}
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "migrate"], cwd=tmp_path, env=env, check=True, capture_output=True)
    seeded = subprocess.run(
        [*cli, "seed-demo"], cwd=tmp_path, env=env, check=True, capture_output=True, text=True
    )
    key = re.search(r"\bbk_[A-Za-z0-9_-]+", seeded.stdout).group(0)
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "uvicorn"), "--factory", "app.main:run_app", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.1)
        yield url, key
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_main_flows_answer_as_the_readme_says(demo, tmp_path: Path):
    url, key = demo
    block = _main_flows()
    expected = _expected_statuses(block)
    assert len(expected) >= 10 and None not in expected, expected
    script = re.sub(r"^KEY=.*$", f"KEY={key}", block, count=1, flags=re.MULTILINE)
    script = script.replace("http://localhost:8000", url)
    log = tmp_path / "statuses"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", CURL_SHIM + script],
        env={**os.environ, "STATUS_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    statuses = [int(line) for line in log.read_text().split()]
    assert statuses == expected, result.stdout[-4000:]
    assert '"fee":"7.00"' in result.stdout.replace(" ", "")  # 20 % of the 35.00 cut
    assert "quota_exceeded" in result.stdout
