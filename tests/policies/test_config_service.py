"""PUT/GET/DELETE /policies/{level}/{entity_id}/{policy_type}: upsert, soft delete, override
links, validation and tenant isolation."""

import pytest
from sqlalchemy import select

from app.policies.models import PolicyConfiguration
from tests.policies.helpers import SALON_POLICY, effective, entity_id, put_policy, set_policy

LEVELS = ("company", "branch", "service", "staff")


async def policy_rows(db) -> list[PolicyConfiguration]:
    async with db() as session:
        stmt = select(PolicyConfiguration).order_by(PolicyConfiguration.id)
        return list((await session.execute(stmt)).scalars())


class TestUpsert:
    @pytest.mark.parametrize("level", LEVELS)
    async def test_put_creates_then_replaces_the_one_active_policy(
        self, company_client, salon, db, level
    ):
        target = entity_id(salon, level)
        created = await put_policy(company_client, level, target, config=SALON_POLICY)
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["level"], body["entity_id"], body["policy_type"]) == (
            level,
            target,
            "cancellation",
        )
        assert body["config"]["fee_tiers"] == [
            {"min_hours": 24.0, "fee": 10.0},
            {"min_hours": 48.0, "fee": 0.0},
        ]
        replaced = await put_policy(company_client, level, target, config={"hours_before": 12})
        assert replaced.status_code == 200
        assert replaced.json()["id"] == body["id"]
        # A PUT replaces the level's whole config: keys not sent are gone from this level.
        assert replaced.json()["config"] == {"hours_before": 12.0}
        fetched = await company_client.get(f"/api/v1/policies/{level}/{target}/cancellation")
        assert fetched.json()["config"] == {"hours_before": 12.0}
        rows = await policy_rows(db)
        assert [(r.configurable_type, r.config, r.deleted_at) for r in rows] == [
            (level, {"hours_before": 12.0}, None)
        ]

    async def test_types_are_independent(self, company_client, salon):
        await set_policy(company_client, "company", salon.company_id, "cancellation", {"fee": 5})
        await set_policy(company_client, "company", salon.company_id, "reschedule", {"fee": 2})
        listed = (await company_client.get("/api/v1/policies", params={"level": "company"})).json()
        assert sorted((p["policy_type"], p["config"]["fee"]) for p in listed["items"]) == [
            ("cancellation", 5.0),
            ("reschedule", 2.0),
        ]

    async def test_get_without_a_policy_is_404(self, company_client, salon):
        response = await company_client.get(f"/api/v1/policies/staff/{salon.anna_id}/reschedule")
        assert response.status_code == 404

    async def test_unknown_level_or_type_is_422(self, company_client, salon):
        assert (await put_policy(company_client, "region", 1)).status_code == 422
        assert (await put_policy(company_client, "staff", 1, "no_show")).status_code == 422


class TestSoftDelete:
    async def test_delete_keeps_the_row_and_the_level_inherits_again(
        self, company_client, salon, db
    ):
        await set_policy(company_client, "company", salon.company_id, config={"fee": 10})
        await set_policy(company_client, "staff", salon.anna_id, config={"fee": 0})
        assert (await effective(company_client, staff_id=salon.anna_id))["config"] == {"fee": 0}

        deleted = await company_client.delete(
            f"/api/v1/policies/staff/{salon.anna_id}/cancellation"
        )
        assert deleted.status_code == 204
        after = await effective(company_client, staff_id=salon.anna_id)
        assert after["config"] == {"fee": 10.0}
        assert after["sources"]["fee"]["level"] == "company"
        assert (
            await company_client.get(f"/api/v1/policies/staff/{salon.anna_id}/cancellation")
        ).status_code == 404
        again = await company_client.delete(f"/api/v1/policies/staff/{salon.anna_id}/cancellation")
        assert again.status_code == 404
        staff_rows = [r for r in await policy_rows(db) if r.configurable_type == "staff"]
        assert len(staff_rows) == 1 and staff_rows[0].deleted_at is not None

    async def test_put_after_delete_creates_a_new_active_row(self, company_client, salon, db):
        first = await set_policy(company_client, "branch", salon.branch_id, config={"fee": 1})
        await company_client.delete(f"/api/v1/policies/branch/{salon.branch_id}/cancellation")
        response = await put_policy(company_client, "branch", salon.branch_id, config={"fee": 2})
        assert response.status_code == 201
        assert response.json()["id"] != first["id"]
        listed = (await company_client.get("/api/v1/policies")).json()
        assert [p["config"] for p in listed["items"]] == [{"fee": 2.0}]
        assert len(await policy_rows(db)) == 2


class TestValidation:
    async def test_malformed_config_is_422_naming_the_field_and_stores_nothing(
        self, company_client, salon, db
    ):
        response = await put_policy(
            company_client,
            "company",
            salon.company_id,
            config={
                "hours_before": -1,
                "fee_tiers": [{"min_hours": 48, "fee": 0}, {"min_hours": 24, "fee": 10}],
            },
        )
        assert response.status_code == 422
        fields = {error["field"] for error in response.json()["errors"]}
        assert fields == {"body.config.hours_before"}
        response = await put_policy(
            company_client,
            "company",
            salon.company_id,
            config={"fee_tiers": [{"min_hours": 48, "fee": 0}, {"min_hours": 24, "fee": 10}]},
        )
        assert [e["field"] for e in response.json()["errors"]] == [
            "body.config.fee_tiers.1.min_hours"
        ]
        unknown = await put_policy(company_client, "company", salon.company_id, config={"fees": 1})
        assert unknown.json()["errors"][0]["field"] == "body.config.fees"
        assert await policy_rows(db) == []

    async def test_config_must_be_an_object(self, company_client, salon):
        response = await company_client.put(
            f"/api/v1/policies/company/{salon.company_id}/cancellation", json={"config": [1]}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.config"


class TestOverrideLinks:
    async def test_link_to_an_active_policy_of_the_same_type(self, company_client, salon):
        company = await set_policy(company_client, "company", salon.company_id, config={"fee": 10})
        branch = await put_policy(
            company_client, "branch", salon.branch_id, config={"fee": 0}, overrides_id=company["id"]
        )
        assert branch.status_code == 201
        assert (branch.json()["is_override"], branch.json()["overrides_id"]) == (
            True,
            company["id"],
        )

    async def test_cycle_is_refused_and_nothing_changes(self, company_client, salon, db):
        company = await set_policy(company_client, "company", salon.company_id, config={"fee": 10})
        branch = await set_policy(
            company_client, "branch", salon.branch_id, config={"fee": 5}, overrides_id=company["id"]
        )
        staff = await set_policy(
            company_client, "staff", salon.anna_id, config={"fee": 0}, overrides_id=branch["id"]
        )
        # company -> staff would close company -> staff -> branch -> company.
        response = await put_policy(
            company_client,
            "company",
            salon.company_id,
            config={"fee": 99},
            overrides_id=staff["id"],
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["errors"][0]["field"] == "body.overrides_id"
        assert (
            f"{company['id']} -> {staff['id']} -> {branch['id']} -> {company['id']}"
            in (problem["detail"])
        )
        rows = {row.id: row for row in await policy_rows(db)}
        assert rows[company["id"]].overrides_id is None
        assert rows[company["id"]].config == {"fee": 10.0}

    async def test_a_policy_cannot_override_itself(self, company_client, salon):
        policy = await set_policy(company_client, "staff", salon.anna_id, config={"fee": 1})
        response = await put_policy(
            company_client, "staff", salon.anna_id, config={"fee": 1}, overrides_id=policy["id"]
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.overrides_id"

    async def test_link_to_another_type_deleted_or_foreign_policy_is_refused(
        self, company_client, other_client, other_tenant, salon
    ):
        reschedule = await set_policy(company_client, "company", salon.company_id, "reschedule")
        deleted = await set_policy(company_client, "branch", salon.branch_id)
        await company_client.delete(f"/api/v1/policies/branch/{salon.branch_id}/cancellation")
        foreign = await set_policy(other_client, "company", other_tenant.company_id)
        for target in (reschedule["id"], deleted["id"], foreign["id"], 999_999):
            response = await put_policy(company_client, "staff", salon.anna_id, overrides_id=target)
            assert response.status_code == 422, target
            assert response.json()["errors"][0]["field"] == "body.overrides_id"

    async def test_overrides_id_with_is_override_false_is_refused(self, company_client, salon):
        company = await set_policy(company_client, "company", salon.company_id)
        response = await put_policy(
            company_client,
            "staff",
            salon.anna_id,
            overrides_id=company["id"],
            is_override=False,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.is_override"


class TestTenantIsolation:
    @pytest.mark.parametrize("level", LEVELS)
    async def test_another_companys_entity_is_404_and_gets_no_policy(
        self, other_client, salon, db, level
    ):
        target = entity_id(salon, level)
        response = await put_policy(other_client, level, target, config={"fee": 1})
        assert response.status_code == 404
        assert (
            await other_client.get(f"/api/v1/policies/{level}/{target}/cancellation")
        ).status_code == 404
        assert await policy_rows(db) == []

    @pytest.mark.parametrize("level", LEVELS)
    async def test_another_companys_policies_are_invisible_and_untouchable(
        self, company_client, other_client, salon, db, level
    ):
        target = entity_id(salon, level)
        await set_policy(company_client, level, target, config={"fee": 3})
        assert (await other_client.get("/api/v1/policies")).json()["total"] == 0
        assert (
            await other_client.get(f"/api/v1/policies/{level}/{target}/cancellation")
        ).status_code == 404
        assert (
            await other_client.delete(f"/api/v1/policies/{level}/{target}/cancellation")
        ).status_code == 404
        (row,) = await policy_rows(db)
        assert row.deleted_at is None and row.config == {"fee": 3.0}

    async def test_effective_policy_of_another_companys_entities_is_404(
        self, company_client, other_client, salon
    ):
        await set_policy(company_client, "company", salon.company_id, config={"fee": 3})
        for ids in (
            {"staff_id": salon.anna_id},
            {"service_id": salon.cut_id},
            {"branch_id": salon.branch_id},
        ):
            response = await other_client.get(
                "/api/v1/policies/effective", params={"policy_type": "cancellation", **ids}
            )
            assert response.status_code == 404, ids
        # The other company's own view has no policy at all.
        assert (await effective(other_client))["config"] == {}

    async def test_admin_key_cannot_configure_policies(self, admin_client, salon):
        response = await put_policy(admin_client, "company", salon.company_id)
        assert response.status_code == 403
