"""The suite's outcome does not depend on `.env` or the developer's environment.

`make run` writes `FEATURE_PROCESSING_TIME_ENABLED=true` (and an admin key) into `.env`; a
developer may export `DATABASE_URL` or `REDIS_URL`. A copy of the project with a hostile
`.env` and hostile variables runs the tests that read settings and flags, and they pass.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

HOSTILE = {
    "FEATURE_PROCESSING_TIME_ENABLED": "true",
    "FEATURE_PROCESSING_TIME_COMPANY_WHITELIST": "999",
    "FEATURE_PROCESSING_TIME_AUTO_CREATE": "false",
    "DATABASE_URL": "sqlite+aiosqlite:////nonexistent/dir/app.db",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "ADMIN_API_KEY": "adm_from_a_developers_dotenv_0123456789",
    "CALCOM_API_KEY": "cal_live_key",
    "RATE_LIMIT_PER_MINUTE": "1",
}
# Tests that read settings or flags, directly or through the app.
SENSITIVE = [
    "tests/unit/test_phases.py",
    "tests/ops/test_env_example.py",
    "tests/ops/test_cli_health.py",
    "tests/tenancy/test_rate_limit.py",
    "tests/scheduling/test_booking.py",
]


def test_a_hostile_dotenv_and_environment_change_nothing(tmp_path: Path):
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("app", "tests", "alembic"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("alembic.ini", "pyproject.toml", ".env.example"):
        shutil.copy(ROOT / name, copy / name)
    (copy / ".env").write_text("".join(f"{key}={value}\n" for key, value in HOSTILE.items()))
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEST_")}
    env |= HOSTILE | {"PYTHONPATH": str(copy)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SENSITIVE],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
