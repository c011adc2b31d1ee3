"""An answer computed while a booking commits is never served after that booking."""

from app.db import transaction
from app.scheduling.availability import AvailabilityService, availability_cache
from tests.salon import NOW, local


async def _bump_copy(cache) -> None:
    """What a booking's after-commit step does: raise the cache's copy of the generation."""
    generation, _ = await cache.cache.read_versioned(cache.generation_key, cache.base, "-")
    await cache.cache.raise_generation(cache.generation_key, generation + 1)


async def test_answer_computed_across_a_booking_commit_is_not_served_afterwards(
    app, company_client, salon, monkeypatch
):
    body = {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": salon.anna_id,
        "start": local(1, 10),
    }
    evaluate = AvailabilityService.evaluate

    async def evaluate_while_a_booking_commits(self, query, start, max_alternatives, **kwargs):
        result = await evaluate(self, query, start, max_alternatives, **kwargs)
        # A booking commits now: its after-commit step raises the generation.
        await _bump_copy(availability_cache(app.state.cache, salon.company_id))
        return result

    monkeypatch.setattr(AvailabilityService, "evaluate", evaluate_while_a_booking_commits)
    first = await company_client.post("/api/v1/availability/check", json=body)
    assert first.json()["available"] is True
    monkeypatch.setattr(AvailabilityService, "evaluate", evaluate)
    # Any recomputation now sees the requested time in the past; a stale answer would not.
    app.state.now = lambda: NOW.replace(year=2030)
    after = await company_client.post("/api/v1/availability/check", json=body)
    assert after.json()["available"] is False
    assert after.json()["reason"] == "in_the_past"


async def test_invalidation_is_one_generation_bump(app, db, salon):
    cache = availability_cache(app.state.cache, salon.company_id)
    await (await cache.lookup("k")).store({"v": 1})
    assert (await cache.lookup("k")).value == {"v": 1}
    async with transaction(db) as session:
        await cache.invalidate(session)
    assert (await cache.lookup("k")).value is None
