"""The package layering of DESIGN §2, checked with import-linter (contracts in pyproject).

Layers, top down: ops; calcom and voice (independent); callbacks; scheduling; policies;
notifications; tenancy. Shared modules (app/*.py) import no domain package.
"""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_no_package_imports_a_layer_above_it_and_shared_modules_import_no_domain():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
