"""Policy tests run in the shared salon on its pinned clock (tests/salon.py)."""

import pytest


@pytest.fixture(autouse=True)
def _pinned(pinned_clock):
    """Every policy API test runs at NOW with the processing-time flag on."""
