"""The worker process and the dispatch command, as an operator runs them."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ENV_DROP = ("TEST_", "DATABASE_", "REDIS_", "SMTP_", "SMS_")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_DROP)}
    return env | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "WORKER_DISPATCH_SECONDS": "0.2",
    }


def _cli(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_dispatch_once_prints_its_summary(tmp_path):
    assert _cli(tmp_path, "migrate").returncode == 0
    result = _cli(tmp_path, "jobs", "dispatch-notifications", "--once")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("sent 0, retried 0, fallback 0, failed 0, skipped 0")


def test_escalate_callbacks_once_prints_its_summary(tmp_path):
    assert _cli(tmp_path, "migrate").returncode == 0
    result = _cli(tmp_path, "jobs", "escalate-callbacks")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Escalating overdue callback requests ..."
    assert result.stdout.strip().endswith("escalated 0, skipped 0")


def test_dispatch_refuses_an_unmigrated_database_saying_what_to_do(tmp_path):
    result = _cli(tmp_path, "jobs", "dispatch-notifications", "--once")
    assert result.returncode == 1
    assert "migrate" in result.stderr


def test_the_worker_logs_json_runs_its_jobs_and_stops_cleanly_on_sigterm(tmp_path):
    assert _cli(tmp_path, "migrate").returncode == 0
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        lines: list[dict] = []
        steps: set[str] = set()
        wanted = {"dispatch-notifications", "escalate-callbacks"}
        while time.monotonic() < deadline and not wanted <= steps:
            line = worker.stderr.readline()
            if not line:
                break
            entry = json.loads(line)  # not a terminal: JSON lines, like the API
            lines.append(entry)
            if entry["event"] == "worker.step":
                steps.add(entry["task"])
        assert wanted <= steps, lines
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
        rest = [json.loads(line) for line in worker.stderr.read().splitlines() if line]
        assert rest[-1]["event"] == "worker.stopped"
    finally:
        if worker.poll() is None:
            worker.kill()
