"""The route index answers every path as the whole route list would (app.api.RouteIndex)."""

import re

import pytest
from starlette.routing import Match

from app.api import RouteIndex, _path_key
from app.main import create_app
from app.stored_answers import StoredAnswers

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _scope(path: str, method: str) -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def _first_match(routes, path: str, method: str):
    """What Starlette's loop picks: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(_scope(path, method))
        if match == Match.FULL:
            return route, Match.FULL
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (partial, Match.PARTIAL) if partial is not None else (None, Match.NONE)


def _concrete_paths(app) -> list[str]:
    templates = {route.path for route in app.router.routes if hasattr(route, "path")}
    paths = {re.sub(r"{[^}]+}", "7", template) for template in templates}
    # Paths no route has, next to ones that exist.
    paths |= {"/api/v1/nothing", "/api/v1/services/7/nothing", "/api/v1/services/", "/", "/x"}
    return sorted(paths)


@pytest.fixture(scope="module")
def routed_app():
    return create_app()  # routes only: no lifespan, nothing served


def _index(app) -> RouteIndex:
    stack = app.router.middleware_stack
    assert isinstance(stack, StoredAnswers)  # in front of the index
    assert isinstance(stack.app, RouteIndex)
    return stack.app


def test_every_path_and_method_finds_the_route_the_whole_list_finds(routed_app):
    app = routed_app
    index = _index(app)
    compared = 0
    for path in _concrete_paths(app):
        group = index.groups.get(_path_key(path))
        for method in METHODS:
            expected = _first_match(app.router.routes, path, method)
            if group is None:
                continue  # the whole list answers it
            found = _first_match(group.routes, path, method)
            if found[1] == Match.NONE:
                # The group hands it on to the whole list, which must not find it either.
                assert group.default == app.router.app
                assert expected[1] == Match.NONE, (path, method)
            else:
                assert found == expected, (path, method)
            compared += 1
    assert compared > 300


def test_the_hot_paths_are_matched_against_a_handful_of_routes(routed_app):
    index = _index(routed_app)
    for path in ("/api/v1/availability/check", "/api/v1/services", "/api/v1/appointments"):
        assert len(index.groups[_path_key(path)].routes) <= 4


async def test_a_route_added_later_beside_an_indexed_one_is_found(app, company_client):
    async def gone():
        return {"gone": True}

    # Same segments as /api/v1/services/{service_id}: its group existed before this route.
    app.router.add_api_route("/api/v1/services/retired", gone, methods=["PUT"])
    answered = await company_client.put("/api/v1/services/retired")
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"gone": True}


async def test_answers_outside_any_group_are_the_whole_lists(company_client):
    missing = await company_client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    redirected = await company_client.get("/api/v1/services/", follow_redirects=False)
    assert redirected.status_code == 307
    assert redirected.headers["location"].endswith("/api/v1/services")
    wrong_method = await company_client.put("/api/v1/availability/check", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
