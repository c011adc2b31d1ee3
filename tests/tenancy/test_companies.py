"""Companies and API keys: admin creation, keys shown once, revocation, company self-service."""

from sqlalchemy import select

from app.tenancy.models import ApiKey
from tests.conftest import make_client


class TestCreateCompany:
    async def test_admin_creates_company_and_issues_key_that_works(self, app, admin_client, db):
        created = await admin_client.post(
            "/api/v1/companies", json={"name": "Salon Schönschnitt", "timezone": "Europe/Berlin"}
        )
        assert created.status_code == 201, created.text
        company = created.json()
        assert company["slug"] == "salon-schoenschnitt"
        issued = await admin_client.post(
            f"/api/v1/companies/{company['id']}/api-keys", json={"name": "front desk"}
        )
        assert issued.status_code == 201
        raw_key = issued.json()["key"]
        assert raw_key.startswith("bk_") and issued.json()["prefix"] == raw_key[:12]

        async with make_client(app, raw_key) as client:
            own = await client.get("/api/v1/company")
        assert own.status_code == 200
        assert own.json()["id"] == company["id"]

        async with db() as session:
            stored = (await session.execute(select(ApiKey.key_hash))).scalars().all()
        assert raw_key not in stored, "the raw key must never be stored"

    async def test_listing_keys_never_shows_the_key(self, admin_client, tenant):
        listed = await admin_client.get(f"/api/v1/companies/{tenant.company_id}/api-keys")
        assert listed.status_code == 200
        assert listed.json()["total"] == 1
        assert "key" not in listed.json()["items"][0]

    async def test_duplicate_slug_is_409(self, admin_client):
        first = await admin_client.post("/api/v1/companies", json={"name": "Dup", "slug": "dup"})
        second = await admin_client.post("/api/v1/companies", json={"name": "Dup 2", "slug": "dup"})
        assert first.status_code == 201
        assert second.status_code == 409
        assert second.headers["content-type"] == "application/problem+json"

    async def test_unknown_timezone_is_422_naming_the_field(self, admin_client):
        response = await admin_client.post(
            "/api/v1/companies", json={"name": "X", "timezone": "Mars/Olympus"}
        )
        assert response.status_code == 422
        fields = [error["field"] for error in response.json()["errors"]]
        assert fields == ["body.timezone"]

    async def test_company_key_cannot_create_companies(self, company_client):
        response = await company_client.post("/api/v1/companies", json={"name": "Nope"})
        assert response.status_code == 403


class TestAuthentication:
    async def test_missing_key_is_401_problem(self, client):
        response = await client.get("/api/v1/branches")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_another_scheme_is_401_saying_to_use_bearer(self, client, tenant):
        response = await client.get(
            "/api/v1/branches", headers={"Authorization": f"Token {tenant.api_key}"}
        )
        assert response.status_code == 401
        assert "Unsupported authorization scheme 'Token'" in response.json()["detail"]
        assert "Bearer" in response.json()["detail"]
        assert "Missing" not in response.json()["detail"]

    async def test_invalid_key_is_401(self, app):
        async with make_client(app, "bk_not-a-real-key") as client:
            assert (await client.get("/api/v1/branches")).status_code == 401

    async def test_x_api_key_header_is_accepted(self, app, tenant):
        async with make_client(app) as client:
            response = await client.get("/api/v1/branches", headers={"X-API-Key": tenant.api_key})
        assert response.status_code == 200

    async def test_revoked_key_is_401_at_once(self, company_client, admin_client, tenant):
        assert (await company_client.get("/api/v1/branches")).status_code == 200  # now cached
        revoked = await admin_client.delete(
            f"/api/v1/companies/{tenant.company_id}/api-keys/{tenant.key_id}"
        )
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None
        assert (await company_client.get("/api/v1/branches")).status_code == 401

    async def test_company_revokes_its_own_second_key(self, app, company_client):
        issued = (await company_client.post("/api/v1/api-keys", json={"name": "tablet"})).json()
        async with make_client(app, issued["key"]) as tablet:
            assert (await tablet.get("/api/v1/company")).status_code == 200
            assert (
                await company_client.delete(f"/api/v1/api-keys/{issued['id']}")
            ).status_code == 200
            assert (await tablet.get("/api/v1/company")).status_code == 401

    async def test_deactivated_company_key_is_401(self, app, admin_client, tenant):
        response = await admin_client.patch(
            f"/api/v1/companies/{tenant.company_id}", json={"is_active": False}
        )
        assert response.status_code == 200
        async with make_client(app, tenant.api_key) as client:
            assert (await client.get("/api/v1/company")).status_code == 401

    async def test_other_company_key_cannot_be_revoked_by_id(self, company_client, other_tenant):
        response = await company_client.delete(f"/api/v1/api-keys/{other_tenant.key_id}")
        assert response.status_code == 404


class TestOwnCompany:
    async def test_patch_updates_language_and_keeps_other_fields(self, company_client):
        response = await company_client.patch("/api/v1/company", json={"language": "en"})
        assert response.status_code == 200
        assert response.json()["language"] == "en"
        assert response.json()["timezone"] == "Europe/Berlin"

    async def test_unknown_field_is_refused(self, company_client):
        response = await company_client.patch("/api/v1/company", json={"is_active": False})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.is_active"
