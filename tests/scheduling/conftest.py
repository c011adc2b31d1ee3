"""Scheduling tests run on a pinned clock with processing time switched on."""

import pytest

from tests.salon import NOW, Salon, booking, local, set_flags

__all__ = ["NOW", "Salon", "booking", "local", "set_flags"]


@pytest.fixture(autouse=True)
def _pinned(pinned_clock):
    """Every scheduling test runs at NOW with the processing-time flag on."""
