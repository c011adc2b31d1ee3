"""An answer computed while a booking commits is never served after that booking."""

from app.scheduling.availability import AvailabilityService, availability_cache
from tests.salon import NOW, local


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

    async def evaluate_while_a_booking_commits(self, query, start, max_alternatives):
        result = await evaluate(self, query, start, max_alternatives)
        # A booking commits now: its after-commit hook bumps the generation.
        await availability_cache(app.state.cache, salon.company_id).invalidate()
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


async def test_invalidation_is_one_generation_bump(app, salon):
    cache = availability_cache(app.state.cache, salon.company_id)
    await (await cache.snapshot()).set("k", {"v": 1})
    assert await (await cache.snapshot()).get("k") == {"v": 1}
    await cache.invalidate()
    assert await (await cache.snapshot()).get("k") is None
