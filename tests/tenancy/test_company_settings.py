"""Company settings: typed, bounded, merged on PATCH; the rate limit is the operator's."""

import pytest
from sqlalchemy import update

from app.tenancy.models import Company
from tests.salon import NOW, local


class TestValidation:
    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"rate_limit_per_minute": "x"}, "rate_limit_per_minute"),
            ({"slot_interval_minutes": 0}, "slot_interval_minutes"),
            ({"slot_interval_minutes": -15}, "slot_interval_minutes"),
            ({"slot_interval_minutes": "abc"}, "slot_interval_minutes"),
            ({"slot_interval_minutes": 7}, "slot_interval_minutes"),  # does not divide a day
            ({"min_notice_minutes": 1e12}, "min_notice_minutes"),
            ({"min_notice_minutes": "x"}, "min_notice_minutes"),
            ({"phone_region": "XX"}, "phone_region"),
            ({"callback_sla_minutes": {"urgent": 0}}, "callback_sla_minutes.urgent"),
            ({"no_such_setting": 1}, "no_such_setting"),
        ],
    )
    async def test_bad_settings_are_422_naming_the_key_and_change_nothing(
        self, admin_client, company_client, tenant, values, field
    ):
        # The admin key may set every key, so only the value is at fault here.
        response = await admin_client.patch(
            f"/api/v1/companies/{tenant.company_id}", json={"settings": values}
        )
        assert response.status_code == 422, response.text
        assert any(field in error["field"] for error in response.json()["errors"])
        company = await company_client.get("/api/v1/company")
        assert company.status_code == 200
        assert company.json()["settings"] == {}

    async def test_settings_null_is_422(self, company_client):
        response = await company_client.patch("/api/v1/company", json={"settings": None})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"].endswith("settings")

    async def test_name_null_is_422_not_a_slug_conflict(self, company_client):
        response = await company_client.patch("/api/v1/company", json={"name": None})
        assert response.status_code == 422
        assert "slug" not in response.text

    async def test_nul_characters_in_names_are_refused(self, company_client, tenant):
        for path, body in [
            ("/api/v1/company", {"name": "Salon\x00Alpha"}),
            ("/api/v1/branches", {"name": "Mit\x00te"}),
            ("/api/v1/customers", {"name": "Max\x00", "phone": "0151 12345678"}),
        ]:
            method = "patch" if path == "/api/v1/company" else "post"
            response = await getattr(company_client, method)(path, json=body)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["errors"][0]["field"].endswith("name")


class TestEscalationContact:
    async def test_must_be_an_active_staff_member_of_the_company(
        self, company_client, db, tenant, other_tenant, salon
    ):
        from tests import factories

        stranger = await factories.make_staff(
            db, other_tenant.company_id, other_tenant.branch_id, name="Olga"
        )
        departed = await factories.make_staff(
            db, tenant.company_id, tenant.branch_id, name="Dora", is_active=False
        )
        for staff_id in (stranger.id, departed.id, 2_000_000):
            response = await company_client.patch(
                "/api/v1/company", json={"settings": {"callback_escalation_staff_id": staff_id}}
            )
            assert response.status_code == 422, response.text
            (error,) = response.json()["errors"]
            assert error["field"] == "body.settings.callback_escalation_staff_id"
        assert (await company_client.get("/api/v1/company")).json()["settings"] == {}
        accepted = await company_client.patch(
            "/api/v1/company", json={"settings": {"callback_escalation_staff_id": salon.anna_id}}
        )
        assert accepted.json()["settings"] == {"callback_escalation_staff_id": salon.anna_id}


class TestMerge:
    async def test_a_patch_changes_only_the_keys_it_sends(self, company_client):
        first = await company_client.patch(
            "/api/v1/company", json={"settings": {"slot_interval_minutes": 30}}
        )
        assert first.json()["settings"] == {"slot_interval_minutes": 30}
        second = await company_client.patch(
            "/api/v1/company", json={"settings": {"min_notice_minutes": 120}}
        )
        assert second.json()["settings"] == {"slot_interval_minutes": 30, "min_notice_minutes": 120}
        reset = await company_client.patch(
            "/api/v1/company", json={"settings": {"slot_interval_minutes": None}}
        )
        assert reset.json()["settings"] == {"min_notice_minutes": 120}

    async def test_the_grid_setting_is_used_by_availability(self, app, company_client, salon):
        app.state.now = lambda: NOW
        await company_client.patch(
            "/api/v1/company", json={"settings": {"slot_interval_minutes": 30}}
        )
        check = await company_client.post(
            "/api/v1/availability/check",
            json={
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "start": local(1, 10, 15),
            },
        )
        assert check.json()["reason"] == "off_grid"  # 10:15 is off a 30-minute grid
        assert all(alt["start"][14:16] in ("00", "30") for alt in check.json()["alternatives"])


class TestOperatorKeys:
    async def test_a_company_cannot_raise_its_own_rate_limit(self, company_client, db, tenant):
        response = await company_client.patch(
            "/api/v1/company", json={"settings": {"rate_limit_per_minute": 100_000}}
        )
        assert response.status_code == 403
        assert "rate_limit_per_minute" in response.json()["detail"]
        assert (await company_client.get("/api/v1/company")).json()["settings"] == {}

    async def test_the_operator_sets_it_and_the_company_keeps_it_through_its_own_patches(
        self, admin_client, company_client, tenant
    ):
        set_by_admin = await admin_client.patch(
            f"/api/v1/companies/{tenant.company_id}",
            json={"settings": {"rate_limit_per_minute": 50}},
        )
        assert set_by_admin.status_code == 200, set_by_admin.text
        own = await company_client.patch(
            "/api/v1/company", json={"settings": {"slot_interval_minutes": 30}}
        )
        assert own.json()["settings"] == {"rate_limit_per_minute": 50, "slot_interval_minutes": 30}


class TestStoredBeforeValidation:
    async def test_an_invalid_stored_value_is_ignored_not_a_lockout(
        self, app, db, company_client, salon
    ):
        """Rows written before settings were validated must not answer 500 forever."""
        async with db() as session:
            await session.execute(
                update(Company)
                .where(Company.id == salon.company_id)
                .values(settings={"rate_limit_per_minute": "x", "slot_interval_minutes": 0})
            )
            await session.commit()
        assert (await company_client.get("/api/v1/company")).status_code == 200
        listing = await company_client.get(
            "/api/v1/availability",
            params={
                "branch_id": salon.branch_id,
                "service_id": salon.cut_id,
                "date_from": "2026-12-01",
            },
        )
        assert listing.status_code == 200, listing.text
        starts = [slot["start"][11:16] for slot in listing.json()["days"][0]["slots"]]
        assert "09:15" in starts  # the default 15-minute grid
