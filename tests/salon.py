"""Shared fixtures: a salon with a colourist and a barber; a pinned clock, processing time on."""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.config import FeatureFlags
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 2026-11-30 08:00 in Berlin; the default minimum notice makes 09:00 the first start.
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@dataclass
class Salon:
    company_id: int
    branch_id: int
    cut_id: int
    colour_id: int
    anna_id: int  # colour and cut
    ben_id: int  # cut only


def anna_on_the_first(salon: Salon) -> dict:
    """The day listing's query (GET /availability): Anna's free starts on 1 December."""
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": salon.anna_id,
        "date_from": "2026-12-01",
    }


def local(day: int, hour: int, minute: int = 0) -> str:
    """ISO wall time in Berlin on a day of December 2026 (the 1st is a Tuesday)."""
    return datetime(2026, 12, day, hour, minute).isoformat()


def set_flags(app, **flags) -> None:
    app.state.settings = app.state.settings.model_copy(update={"features": FeatureFlags(**flags)})


@pytest.fixture
def pinned_clock(app):
    app.state.now = lambda: NOW
    set_flags(app, processing_time_enabled=True)


@pytest.fixture
async def salon(db, tenant) -> Salon:
    cut = await factories.make_service(db, tenant.company_id, name="Cut", duration_minutes=30)
    colour = await factories.make_colour_service(db, tenant.company_id)
    anna = await factories.make_staff(
        db, tenant.company_id, tenant.branch_id, services=[cut, colour], name="Anna"
    )
    ben = await factories.make_staff(
        db, tenant.company_id, tenant.branch_id, services=[cut], name="Ben"
    )
    return Salon(tenant.company_id, tenant.branch_id, cut.id, colour.id, anna.id, ben.id)


def booking(
    salon: Salon,
    start: str,
    *,
    service: str = "cut",
    staff: int | None = None,
    phone: str = "+4915112345678",
    name: str = "Erika",
) -> dict:
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id if service == "cut" else salon.colour_id,
        "staff_id": staff,
        "start": start,
        "customer": {"name": name, "phone": phone},
    }
