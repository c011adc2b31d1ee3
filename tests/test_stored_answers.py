"""Stored answers (app.stored_answers) sent before FastAPI handles the request: the same
answers as the route's, for every request, and the route's guarantees kept (one rate-limit
count, revocation, isolation, nothing stale)."""

import json

import pytest

from app.scheduling.availability import AvailabilityService
from app.stored_answers import StoredAnswers
from tests.conftest import ADMIN_KEY, make_client
from tests.salon import booking, local

CHECK = "/api/v1/availability/check"
# Headers that differ between any two answers.
PER_REQUEST = {"x-request-id"}


def check_body(salon, hour: int = 10, staff: int | None = None) -> dict:
    return {
        "branch_id": salon.branch_id,
        "service_id": salon.cut_id,
        "staff_id": staff if staff is not None else salon.anna_id,
        "start": local(1, hour),
    }


class RouteCalls:
    """Counts the route's own computations of a check (a stored answer makes none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = AvailabilityService.check_for_response

        async def counted(service, request):
            self.count += 1
            return await original(service, request)

        monkeypatch.setattr(AvailabilityService, "check_for_response", counted)


@pytest.fixture
def route_calls(monkeypatch) -> RouteCalls:
    return RouteCalls(monkeypatch)


def stored_answers(router) -> StoredAnswers:
    layer = router.middleware_stack
    assert isinstance(layer, StoredAnswers)
    return layer


def comparable(response) -> tuple:
    body: object = response.content
    if response.headers.get("content-type", "").endswith("json") and response.content:
        body = json.loads(response.content)
        if isinstance(body, dict):
            body.pop("request_id", None)  # problem details name their request
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_REQUEST)
    return response.status_code, body, headers


class TestSentFromTheCopy:
    async def test_a_repeated_check_is_the_stored_bytes_without_the_route(
        self, company_client, salon, route_calls
    ):
        first = await company_client.post(CHECK, json=check_body(salon))
        assert first.status_code == 200, first.text
        assert route_calls.count == 1
        again = await company_client.post(CHECK, json=check_body(salon))
        assert route_calls.count == 1  # not computed, not even looked up by the route
        assert comparable(again) == comparable(first)
        assert again.content == first.content
        assert again.headers["x-request-id"] != first.headers["x-request-id"]

    async def test_a_body_sent_in_chunks_is_read_whole(self, company_client, salon, route_calls):
        body = json.dumps(check_body(salon)).encode()
        await company_client.post(CHECK, content=body, headers={"content-type": "application/json"})

        async def chunks():
            yield body[:10]
            yield body[10:]

        chunked = await company_client.post(
            CHECK, content=chunks(), headers={"content-type": "application/json"}
        )
        assert chunked.status_code == 200, chunked.text
        assert route_calls.count == 1

    async def test_the_request_is_counted_under_the_route_in_metrics(
        self, client, company_client, salon
    ):
        for _ in range(2):
            assert (await company_client.post(CHECK, json=check_body(salon))).status_code == 200
        metrics = (await client.get("/metrics")).text
        labels = 'method="POST",route="/api/v1/availability/check",status="200"'
        assert f"http_requests_total{{{labels}}} 2.0" in metrics


class TestSameAnswersAsTheRoute:
    """Every request answered with stored answers on and off: the same status, body and
    headers. A copy of the plain check exists throughout."""

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            pytest.param("{body}", "application/json", id="the-stored-body"),
            pytest.param("{reordered}", "application/json; charset=utf-8", id="reordered-charset"),
            pytest.param(
                '{{"branch_id": "{b}", "service_id": {s}, "staff_id": {a}, '
                '"start": "2026-12-01T10:00:00"}}',
                "application/json",
                id="string-id",
            ),
            pytest.param(
                '{{"branch_id": {b}, "service_id": {s}, "staff_id": {a}, '
                '"start": "2026-12-01T10:00:00", "x": 1}}',
                "application/json",
                id="unknown-field",
            ),
            pytest.param(
                '{{"branch_id": {b}, "service_id": {s}, "staff_id": {a}, '
                '"start": "2026-12-01T10:00:00", "max_alternatives": 11}}',
                "application/json",
                id="out-of-range",
            ),
            pytest.param(
                '{{"branch_id": {b}, "service_id": {s}, "staff_id": {a}, '
                '"start": "2026-12-01T10:00:00+01:00"}}',
                "application/json",
                id="with-offset",
            ),
            pytest.param(
                '{{"branch_id": {b}, "service_id": {s}, "staff_id": null, '
                '"start": "2026-12-01T10:00:00"}}',
                "application/json",
                id="any-staff",
            ),
            pytest.param(
                '{{"branch_id": {b}, "service_id": {s}', "application/json", id="malformed"
            ),
            pytest.param("", "application/json", id="empty"),
            pytest.param("[1]", "application/json", id="array"),
            pytest.param("{body}", "text/plain", id="text-plain"),
            pytest.param("{body}", "application/x-www-form-urlencoded", id="form"),
            pytest.param("{body}", None, id="no-content-type"),
        ],
    )
    @pytest.mark.parametrize(
        "key",
        ["own", "none", "invalid", "basic", "admin", "other-tenant"],
    )
    async def test_the_same_answer(
        self, app, salon, tenant, other_tenant, content, content_type, key
    ):
        body = check_body(salon)
        values = {
            "body": json.dumps(body),
            "reordered": json.dumps(dict(reversed(list(body.items())))),
        }
        text = content.format(b=salon.branch_id, s=salon.cut_id, a=salon.anna_id, **values)
        keys = {
            "own": {"Authorization": f"Bearer {tenant.api_key}"},
            "none": {},
            "invalid": {"Authorization": "Bearer bk_not-a-key"},
            "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
            "admin": {"Authorization": f"Bearer {ADMIN_KEY}"},
            "other-tenant": {"X-API-Key": other_tenant.api_key},
        }
        headers = keys[key] | ({"content-type": content_type} if content_type else {})
        async with make_client(app, tenant.api_key) as warm:
            assert (await warm.post(CHECK, json=body)).status_code == 200
        async with make_client(app) as caller:
            answers = []
            for stored in (True, False):
                with answers_stored(app, stored):
                    answers.append(await caller.post(CHECK, content=text, headers=headers))
        assert comparable(answers[0]) == comparable(answers[1])

    @pytest.mark.parametrize(
        ("method", "path"),
        [("GET", CHECK), ("PUT", CHECK), ("POST", CHECK + "/"), ("POST", CHECK + "?x=1")],
    )
    async def test_other_methods_and_paths(self, app, salon, tenant, method, path):
        body = json.dumps(check_body(salon))
        async with make_client(app, tenant.api_key) as caller:
            assert (await caller.post(CHECK, json=check_body(salon))).status_code == 200
            answers = []
            for stored in (True, False):
                with answers_stored(app, stored):
                    answers.append(
                        await caller.request(
                            method, path, content=body, headers={"content-type": "application/json"}
                        )
                    )
        assert comparable(answers[0]) == comparable(answers[1])


class answers_stored:
    """Stored answers on (as served) or off (every request to the routes) for a block."""

    def __init__(self, app, on: bool) -> None:
        self.router = app.router
        self.on = on

    def __enter__(self) -> None:
        self.layer = stored_answers(self.router)
        if not self.on:
            self.router.middleware_stack = self.layer.app

    def __exit__(self, *exc) -> None:
        self.router.middleware_stack = self.layer


class TestTheRoutesGuaranteesHold:
    async def test_a_booking_is_never_answered_from_before_it(self, company_client, salon):
        body = check_body(salon)
        assert (await company_client.post(CHECK, json=body)).json()["available"] is True
        assert (await company_client.post(CHECK, json=body)).json()["available"] is True
        booked = await company_client.post(
            "/api/v1/appointments", json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        assert booked.status_code == 201, booked.text
        after = (await company_client.post(CHECK, json=body)).json()
        assert after["available"] is False
        assert after["alternatives"]

    async def test_a_revoked_key_is_refused_on_its_next_check(
        self, company_client, admin_client, tenant, salon
    ):
        for _ in range(2):
            assert (await company_client.post(CHECK, json=check_body(salon))).status_code == 200
        revoked = await admin_client.delete(
            f"/api/v1/companies/{tenant.company_id}/api-keys/{tenant.key_id}"
        )
        assert revoked.status_code == 200
        refused = await company_client.post(CHECK, json=check_body(salon))
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"

    async def test_another_company_never_gets_the_copy(self, company_client, salon, other_client):
        for _ in range(2):
            assert (await company_client.post(CHECK, json=check_body(salon))).status_code == 200
        stranger = await other_client.post(CHECK, json=check_body(salon))
        assert stranger.status_code == 404


class TestOneRateLimitCount:
    LIMIT = 3

    @pytest.fixture
    def settings(self, settings):
        return settings.model_copy(update={"rate_limit_per_minute": self.LIMIT})

    async def test_copies_sent_count_once_each(self, company_client, salon, route_calls):
        for _ in range(self.LIMIT):  # one computed, then copies
            assert (await company_client.post(CHECK, json=check_body(salon))).status_code == 200
        assert route_calls.count == 1
        over = await company_client.post(CHECK, json=check_body(salon))
        assert over.status_code == 429
        assert int(over.headers["retry-after"]) >= 1

    async def test_requests_passed_to_the_route_count_once_each(
        self, company_client, salon, route_calls
    ):
        # Each a different start, so none has a copy: looked for here, answered by the route.
        for hour in range(10, 10 + self.LIMIT):
            answer = await company_client.post(CHECK, json=check_body(salon, hour))
            assert answer.status_code == 200, answer.text
        assert route_calls.count == self.LIMIT
        over = await company_client.post(CHECK, json=check_body(salon, 16))
        assert over.status_code == 429


APPOINTMENTS = "/api/v1/appointments"
SERVICES = "/api/v1/services"
POLICY = "/api/v1/policies/effective"
DAY = "date_from=2026-12-01T00:00:00&date_to=2026-12-02T00:00:00"


class TestListingsSameAnswersAsTheRoute:
    """Listings and effective policies with stored answers on and off: the same answers,
    for plain queries (sent from the copy) and for every other kind (judged by the route)."""

    @pytest.mark.parametrize(
        ("path", "query"),
        [
            (APPOINTMENTS, DAY),
            (APPOINTMENTS, DAY + "&limit=10&offset=0&status=confirmed"),
            (APPOINTMENTS, "date_from=2026-12-01T00:00:00%2B01:00"),
            (APPOINTMENTS, "date_from=2026-12-01T00:00:00+01:00"),  # '+' is a space
            (APPOINTMENTS, "date_from=2026-12-01"),
            (APPOINTMENTS, "limit=0"),
            (APPOINTMENTS, "limit=abc"),
            (APPOINTMENTS, "staff_id=1&staff_id=2"),
            (APPOINTMENTS, "staff_id="),
            (APPOINTMENTS, "status=bogus"),
            (APPOINTMENTS, "unknown=1"),
            (APPOINTMENTS, "staff_id=%201%20"),
            (APPOINTMENTS, ""),
            (SERVICES, ""),
            (SERVICES, "is_active=true"),
            (SERVICES, "is_active=yes"),
            (SERVICES, "is_active=maybe"),
            (SERVICES, "limit=201"),
            (SERVICES, "branch_id=1&limit=5"),
            (SERVICES, "is_active=true&is_active=false"),
            (POLICY, "policy_type=cancellation"),
            (POLICY, "policy_type=cancellation&staff_id=1"),
            (POLICY, "policy_type=reschedule&service_id=1&branch_id=1&staff_id=1"),
            (POLICY, "policy_type=cancellation&staff_id=999"),
            (POLICY, "policy_type=bogus"),
            (POLICY, "staff_id=1"),
            (POLICY, "policy_type=cancellation&policy_type=reschedule"),
        ],
    )
    @pytest.mark.parametrize("key", ["own", "none", "admin", "other-tenant"])
    async def test_the_same_answer(self, app, salon, tenant, other_tenant, path, query, key):
        async with make_client(app, tenant.api_key) as warm:
            booked = await warm.post(
                APPOINTMENTS, json=booking(salon, local(1, 10), staff=salon.anna_id)
            )
            assert booked.status_code == 201, booked.text
            policy = await warm.put(
                f"/api/v1/policies/company/{tenant.company_id}/cancellation",
                json={"config": {"hours_before": 24}},
            )
            assert policy.status_code in (200, 201), policy.text
            await warm.get(f"{path}?{query}")  # a copy, where the route keeps one
        headers = {
            "own": {"Authorization": f"Bearer {tenant.api_key}"},
            "none": {},
            "admin": {"Authorization": f"Bearer {ADMIN_KEY}"},
            "other-tenant": {"X-API-Key": other_tenant.api_key},
        }[key]
        async with make_client(app) as caller:
            answers = []
            for stored in (True, False):
                with answers_stored(app, stored):
                    answers.append(await caller.get(f"{path}?{query}", headers=headers))
        assert comparable(answers[0]) == comparable(answers[1])

    async def test_a_repeated_day_listing_is_sent_without_the_route(
        self, company_client, salon, monkeypatch
    ):
        from app.scheduling.service import SchedulingService

        computed = []
        original = SchedulingService.list_response

        async def counted(service, filters):
            computed.append(filters)
            return await original(service, filters)

        monkeypatch.setattr(SchedulingService, "list_response", counted)
        await company_client.post(
            APPOINTMENTS, json=booking(salon, local(1, 10), staff=salon.anna_id)
        )
        first = await company_client.get(f"{APPOINTMENTS}?{DAY}")
        again = await company_client.get(f"{APPOINTMENTS}?{DAY}")
        assert len(computed) == 1
        assert again.content == first.content
        assert again.json()["total"] == 1


class TestRequestsTheLayerLeavesToTheRoute:
    async def test_a_client_gone_mid_body_is_answered_as_by_the_route(self, app, salon, tenant):
        async with make_client(app, tenant.api_key) as warm:
            assert (await warm.post(CHECK, json=check_body(salon))).status_code == 200
        body = json.dumps(check_body(salon)).encode()
        answers = []
        for stored in (True, False):
            messages = [
                {"type": "http.request", "body": body[:10], "more_body": True},
                {"type": "http.disconnect"},
            ]
            sent: list[dict] = []

            async def receive(messages=messages):
                return messages.pop(0) if messages else {"type": "http.disconnect"}

            async def send(message, sent=sent):
                sent.append(message)

            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": CHECK,
                "raw_path": CHECK.encode(),
                "root_path": "",
                "query_string": b"",
                "headers": [
                    (b"host", b"test"),
                    (b"content-type", b"application/json"),
                    (b"authorization", f"Bearer {tenant.api_key}".encode()),
                ],
                "client": ("127.0.0.1", 1),
                "server": ("test", 80),
                "state": {},
            }
            with answers_stored(app, stored):
                await app(scope, receive, send)
            answers.append([m.get("status") for m in sent if m["type"] == "http.response.start"])
        assert answers[0] == answers[1]

    async def test_a_body_too_big_to_be_keyed_goes_to_the_route_unread(
        self, company_client, salon, route_calls
    ):
        body = json.dumps(check_body(salon))
        first = await company_client.post(CHECK, json=check_body(salon))
        padded = body + " " * 9000  # still valid JSON, the same check
        again = await company_client.post(
            CHECK, content=padded, headers={"content-type": "application/json"}
        )
        assert again.status_code == 200
        assert again.content == first.content  # the route found its copy
        assert route_calls.count == 2

    async def test_a_route_matched_before_a_marked_one_keeps_its_requests(
        self, app, company_client, salon
    ):
        await company_client.get(SERVICES)  # a copy exists

        async def shadow():
            return {"shadowed": True}

        app.router.add_api_route("/api/v1/{anything}", shadow, methods=["GET"])
        app.router.routes.insert(0, app.router.routes.pop())  # matched first from now on
        answered = await company_client.get(SERVICES)
        assert answered.json() == {"shadowed": True}


class TestEffectivePolicies:
    async def test_a_policy_change_is_answered_at_once(self, company_client, tenant, salon):
        url = f"{POLICY}?policy_type=cancellation&staff_id={salon.anna_id}"
        target = f"/api/v1/policies/company/{tenant.company_id}/cancellation"
        await company_client.put(target, json={"config": {"hours_before": 24}})
        first = await company_client.get(url)
        again = await company_client.get(url)
        assert again.content == first.content
        assert first.json()["config"] == {"hours_before": 24}
        await company_client.put(target, json={"config": {"hours_before": 48}})
        assert (await company_client.get(url)).json()["config"] == {"hours_before": 48}
