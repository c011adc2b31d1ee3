"""Notification settings per level, resolved staff → service → branch → company → event."""

import pytest

from tests import factories

BASE = "/api/v1/notifications"


async def put(client, level, entity_id, event, **body):
    return await client.put(f"{BASE}/{level}/{entity_id}/{event}", json=body)


class TestEvents:
    async def test_the_thirteen_events_are_listed(self, company_client):
        response = await company_client.get(f"{BASE}/events")
        assert response.status_code == 200
        events = {event["event_type"]: event for event in response.json()}
        assert len(events) == 13
        assert events["booking_confirmed"]["default_channels"] == ["email", "sms"]
        assert events["payment_received"]["is_used"] is False


class TestResolution:
    async def test_without_settings_the_events_defaults_apply(self, company_client, salon):
        response = await company_client.get(
            f"{BASE}/effective", params={"event_type": "booking_confirmed"}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["config"]["channel"] == "email"
        assert body["config"]["fallback_channel"] == "sms"
        assert body["sources"]["channel"] == {"level": "default"}

    async def test_each_key_comes_from_the_most_specific_level_that_sets_it(
        self, company_client, salon
    ):
        company = await put(
            company_client,
            "company",
            salon.company_id,
            "reminder_24h",
            channel="email",
            retry_count=5,
        )
        assert company.status_code == 201, company.text
        staff = await put(
            company_client, "staff", salon.anna_id, "reminder_24h", channel="whatsapp"
        )
        assert staff.status_code == 201
        response = await company_client.get(
            f"{BASE}/effective",
            params={"event_type": "reminder_24h", "staff_id": salon.anna_id},
        )
        body = response.json()
        assert body["config"]["channel"] == "whatsapp"  # staff
        assert body["config"]["retry_count"] == 5  # inherited from the company
        assert body["config"]["retry_delay_minutes"] == 5  # the event's default
        assert body["sources"]["channel"]["level"] == "staff"
        assert body["sources"]["retry_count"] == {
            "level": "company",
            "entity_id": salon.company_id,
            "configuration_id": company.json()["id"],
        }
        assert body["sources"]["retry_delay_minutes"] == {"level": "default"}
        # Another staff member only gets the company's.
        other = await company_client.get(
            f"{BASE}/effective",
            params={"event_type": "reminder_24h", "staff_id": salon.ben_id},
        )
        assert other.json()["config"]["channel"] == "email"

    async def test_put_replaces_and_delete_inherits_again(self, company_client, salon):
        await put(company_client, "branch", salon.branch_id, "cancellation", channel="sms")
        replaced = await put(
            company_client, "branch", salon.branch_id, "cancellation", channel="push"
        )
        assert replaced.status_code == 200
        assert replaced.json()["channel"] == "push"
        deleted = await company_client.delete(f"{BASE}/branch/{salon.branch_id}/cancellation")
        assert deleted.status_code == 204
        effective = await company_client.get(
            f"{BASE}/effective",
            params={"event_type": "cancellation", "branch_id": salon.branch_id},
        )
        assert effective.json()["sources"]["channel"] == {"level": "default"}


class TestValidation:
    @pytest.mark.parametrize(
        "template",
        [
            "{{ ''.__class__ }}",
            "{{ customer_name.__class__.__mro__[1].__subclasses__() }}",
            "{{ cycler.__init__.__globals__ }}",
        ],
    )
    async def test_a_template_reaching_python_objects_is_refused(
        self, company_client, salon, template
    ):
        response = await put(
            company_client,
            "company",
            salon.company_id,
            "booking_confirmed",
            channel="email",
            template_override=template,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "body.template_override"

    async def test_an_unknown_variable_or_broken_syntax_is_refused(self, company_client, salon):
        for template, said in [("Hi {{ name }}", "unknown variable 'name'"), ("{% if %}", "")]:
            response = await put(
                company_client,
                "company",
                salon.company_id,
                "booking_confirmed",
                channel="email",
                template_override=template,
            )
            assert response.status_code == 422
            assert said in response.json()["detail"]

    async def test_a_good_template_is_stored(self, company_client, salon):
        response = await put(
            company_client,
            "company",
            salon.company_id,
            "booking_confirmed",
            channel="email",
            template_override="Bis {{ start }}, {{ customer_name }}!",
        )
        assert response.status_code == 201

    async def test_fallback_equal_to_the_channel_is_refused(self, company_client, salon):
        response = await put(
            company_client,
            "company",
            salon.company_id,
            "booking_confirmed",
            channel="sms",
            fallback_channel="sms",
        )
        assert response.status_code == 422

    async def test_unknown_event_and_another_companys_entity_are_404(
        self, db, company_client, salon, other_tenant
    ):
        assert (
            await put(company_client, "company", salon.company_id, "nope", channel="sms")
        ).status_code == 404
        foreign = await factories.make_branch(db, other_tenant.company_id)
        assert (
            await put(company_client, "branch", foreign.id, "cancellation", channel="sms")
        ).status_code == 404
        assert (
            await put(
                company_client, "company", other_tenant.company_id, "cancellation", channel="sms"
            )
        ).status_code == 404
