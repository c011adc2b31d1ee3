"""GET /policies/effective: company → branch → service → staff, sources, and the 5-minute
cache that every change at every level invalidates (across instances sharing Redis too)."""

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import update

from app.main import create_app
from app.policies.models import PolicyConfiguration
from tests import factories
from tests.conftest import REDIS_URL, STARTUP_SECONDS, make_client
from tests.policies.helpers import SALON_POLICY, effective, entity_id, set_policy

LOWER_LEVELS = ("branch", "service", "staff")
ALL_IDS = "all"
# (policy type, key, company value, lower value): every key of every type.
KEYS = [
    ("cancellation", "hours_before", 24.0, 12.0),
    ("cancellation", "fee", 10.0, 0.0),
    ("cancellation", "fee_percentage", 50.0, 25.0),
    (
        "cancellation",
        "fee_tiers",
        [{"min_hours": 24.0, "fee": 10.0}],
        [{"min_hours": 0.0, "fee": 5.0}],
    ),
    ("cancellation", "max_cancellations_per_month", 3, 1),
    ("reschedule", "hours_before", 12.0, 2.0),
    ("reschedule", "fee", 5.0, 0.0),
    ("reschedule", "fee_tiers", [{"min_hours": 2.0, "fee": 5.0}], [{"min_hours": 1.0, "fee": 1.0}]),
    ("reschedule", "max_reschedules_per_appointment", 2, 1),
    ("reschedule", "max_reschedules_per_month", 4, 2),
    ("recurring", "allowed_frequencies", ["weekly", "monthly"], ["weekly"]),
    ("recurring", "max_occurrences", 12, 6),
    ("recurring", "max_horizon_days", 365, 90),
]


def all_ids(salon):
    return {"staff_id": salon.anna_id, "service_id": salon.cut_id, "branch_id": salon.branch_id}


class TestInheritance:
    @pytest.mark.parametrize("level", LOWER_LEVELS)
    @pytest.mark.parametrize(("policy_type", "key", "above", "below"), KEYS)
    async def test_each_level_overrides_each_key(
        self, company_client, salon, level, policy_type, key, above, below
    ):
        await set_policy(company_client, "company", salon.company_id, policy_type, {key: above})
        policy = await set_policy(
            company_client, level, entity_id(salon, level), policy_type, {key: below}
        )
        result = await effective(company_client, policy_type, **all_ids(salon))
        assert result["config"] == {key: below}
        assert result["sources"][key] == {
            "level": level,
            "entity_id": entity_id(salon, level),
            "policy_id": policy["id"],
        }
        # Another staff member of the same branch: what applies to them is unchanged by a
        # staff-level policy of Anna's.
        ben = await effective(
            company_client, policy_type, staff_id=salon.ben_id, service_id=salon.colour_id
        )
        expected_for_ben = below if level == "branch" else above
        assert ben["config"] == {key: expected_for_ben}

    async def test_the_salon_chain_relaxed_for_a_branch_tightened_for_a_stylist(
        self, company_client, salon, db
    ):
        """The issue's story: company rule, one branch relaxes the notice, the top stylist
        allows fewer cancellations; every other key is inherited from the company."""
        company = await set_policy(company_client, "company", salon.company_id, config=SALON_POLICY)
        branch = await set_policy(
            company_client, "branch", salon.branch_id, config={"hours_before": 12}
        )
        anna = await set_policy(
            company_client, "staff", salon.anna_id, config={"max_cancellations_per_month": 1}
        )
        result = await effective(company_client, **all_ids(salon))
        assert result["config"] == {
            "hours_before": 12.0,
            "fee_tiers": [{"min_hours": 24.0, "fee": 10.0}, {"min_hours": 48.0, "fee": 0.0}],
            "max_cancellations_per_month": 1,
        }
        assert {key: (s["level"], s["policy_id"]) for key, s in result["sources"].items()} == {
            "hours_before": ("branch", branch["id"]),
            "fee_tiers": ("company", company["id"]),
            "max_cancellations_per_month": ("staff", anna["id"]),
        }
        assert [s["level"] for s in result["applied"]] == ["company", "branch", "staff"]
        assert result["target"] == {"company_id": salon.company_id, **all_ids(salon)}

        other_branch = await factories.make_branch(db, salon.company_id, name="Süd")
        elsewhere = await effective(company_client, branch_id=other_branch.id)
        assert elsewhere["config"] == {
            **result["config"],
            "hours_before": 24.0,
            "max_cancellations_per_month": 3,
        }
        assert {s["level"] for s in elsewhere["sources"].values()} == {"company"}

    async def test_without_a_branch_the_staff_members_branch_takes_part(
        self, company_client, salon
    ):
        await set_policy(company_client, "branch", salon.branch_id, config={"fee": 4})
        result = await effective(company_client, staff_id=salon.ben_id)
        assert result["config"] == {"fee": 4.0}
        assert result["target"]["branch_id"] == salon.branch_id

    async def test_without_a_branch_a_branch_bound_service_brings_its_branch(
        self, company_client, salon, db
    ):
        await set_policy(company_client, "branch", salon.branch_id, config={"fee": 4})
        local_service = await factories.make_service(
            db, salon.company_id, name="Beard", branch_id=salon.branch_id
        )
        assert (await effective(company_client, service_id=local_service.id))["config"] == {
            "fee": 4.0
        }
        # A company-wide service on its own has no branch: only the company level applies.
        assert (await effective(company_client, service_id=salon.cut_id))["config"] == {}

    async def test_no_policy_anywhere_is_an_empty_config(self, company_client, salon):
        result = await effective(company_client, "reschedule", **all_ids(salon))
        assert (result["config"], result["sources"], result["applied"]) == ({}, {}, [])

    async def test_unknown_ids_are_404(self, company_client, salon):
        for ids in ({"staff_id": 999_999}, {"service_id": 999_999}, {"branch_id": 999_999}):
            response = await company_client.get(
                "/api/v1/policies/effective", params={"policy_type": "cancellation", **ids}
            )
            assert response.status_code == 404, ids

    async def test_policy_type_is_required(self, company_client, salon):
        response = await company_client.get("/api/v1/policies/effective")
        assert response.status_code == 422


async def _change_behind_the_api(db, config) -> None:
    """A change that does not go through the service, so nothing invalidates the cache."""
    async with db() as session:
        await session.execute(update(PolicyConfiguration).values(config=config))
        await session.commit()


class TestCache:
    async def test_answers_come_from_the_cache_until_a_change(self, company_client, salon, db):
        await set_policy(company_client, "company", salon.company_id, config={"fee": 1})
        assert (await effective(company_client, **all_ids(salon)))["config"] == {"fee": 1.0}
        await _change_behind_the_api(db, {"fee": 2.0})
        assert (await effective(company_client, **all_ids(salon)))["config"] == {"fee": 1.0}

    @pytest.mark.parametrize("level", ("company", *LOWER_LEVELS))
    async def test_a_put_or_delete_at_any_level_invalidates(self, company_client, salon, level):
        target = entity_id(salon, level)
        # Three cached lookups; which of them the level takes part in:
        queries = {
            "appointment": (all_ids(salon), True),
            "staff only": ({"staff_id": salon.anna_id}, level != "service"),
            "company only": ({}, level == "company"),
        }

        async def configs():
            return {
                name: (await effective(company_client, **ids))["config"]
                for name, (ids, _) in queries.items()
            }

        assert await configs() == dict.fromkeys(queries, {})
        for fee in (7.0, 8.0):
            await set_policy(company_client, level, target, config={"fee": fee})
            assert await configs() == {
                name: {"fee": fee} if takes_part else {}
                for name, (_, takes_part) in queries.items()
            }
        await company_client.delete(f"/api/v1/policies/{level}/{target}/cancellation")
        assert await configs() == dict.fromkeys(queries, {})

    async def test_a_refused_change_does_not_invalidate(self, company_client, salon, db):
        await set_policy(company_client, "company", salon.company_id, config={"fee": 1})
        await effective(company_client)
        await _change_behind_the_api(db, {"fee": 2.0})
        bad = await company_client.put(
            f"/api/v1/policies/company/{salon.company_id}/cancellation",
            json={"config": {"fee": -1}},
        )
        assert bad.status_code == 422
        assert (await effective(company_client))["config"] == {"fee": 1.0}

    @pytest.mark.redis
    @pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
    async def test_a_change_on_one_instance_invalidates_the_others(
        self, app, settings, company_client, tenant, salon
    ):
        await set_policy(company_client, "company", salon.company_id, config={"fee": 1})
        second = create_app(settings)
        async with (
            LifespanManager(second, startup_timeout=STARTUP_SECONDS),
            make_client(second, tenant.api_key) as other,
        ):
            assert (await effective(other, **all_ids(salon)))["config"] == {"fee": 1.0}
            await set_policy(company_client, "company", salon.company_id, config={"fee": 2})
            assert (await effective(other, **all_ids(salon)))["config"] == {"fee": 2.0}
            await set_policy(other, "staff", salon.anna_id, config={"fee": 3})
            assert (await effective(company_client, **all_ids(salon)))["config"] == {"fee": 3.0}


class TestResolutionFollowsTheSalon:
    """What an effective policy is resolved for (a staff member's branch, a service's own
    branch) changes with the salon: the next resolution follows at once, never a copy."""

    async def test_a_stylist_moving_branch_takes_the_new_branchs_policy_at_once(
        self, company_client, salon, db
    ):
        north = await factories.make_branch(db, salon.company_id, name="Nord")
        await set_policy(company_client, "branch", salon.branch_id, config={"fee": 5})
        await set_policy(company_client, "branch", north.id, config={"fee": 20})
        before = await effective(company_client, staff_id=salon.anna_id)
        assert before["config"] == {"fee": 5.0}
        moved = await company_client.patch(
            f"/api/v1/staff/{salon.anna_id}", json={"branch_id": north.id}
        )
        assert moved.status_code == 200, moved.text
        after = await effective(company_client, staff_id=salon.anna_id)
        assert after["target"]["branch_id"] == north.id
        assert after["config"] == {"fee": 20.0}
