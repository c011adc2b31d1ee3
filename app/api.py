"""Assembles the routers: operations at the root, the REST API under /api/v1."""

import copy

from fastapi import APIRouter, FastAPI
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

from app.calcom.router import router as calcom_router
from app.callbacks.router import router as callbacks_router
from app.notifications.router import router as notifications_router
from app.ops.router import router as ops_router
from app.policies.router import router as policies_router
from app.scheduling.router import router as scheduling_router
from app.stored_answers import Authenticate, StoredAnswers
from app.tenancy.router import router as tenancy_router
from app.voice.router import admin_router as calls_router
from app.voice.router import router as voice_router

root_router = APIRouter()
root_router.include_router(ops_router)
root_router.include_router(calcom_router)
root_router.include_router(voice_router)

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(tenancy_router)
api_router.include_router(scheduling_router)
api_router.include_router(policies_router)
api_router.include_router(callbacks_router, tags=["callbacks"])
api_router.include_router(notifications_router)
api_router.include_router(calls_router)


def add_routes_flat(app: FastAPI, *routers: APIRouter) -> None:
    """Add every route of `routers` (and of the routers they include) to the app's own
    router, each with its full path, tags, dependencies and responses.

    `include_router` keeps the tree: a request is matched against each included router and
    then against its routes, one level at a time. Flat, it is matched once, in one list.
    """
    staging = APIRouter()
    for router in routers:
        staging.include_router(router)
    for included in staging.routes:
        for route in included.effective_route_contexts():  # type: ignore[attr-defined]
            original = route.original_route
            app.router.add_api_route(
                route.path,
                route.endpoint,
                response_model=original.response_model,
                status_code=route.status_code,
                tags=route.tags,
                dependencies=route.dependencies,
                summary=route.summary,
                description=route.description,
                response_description=route.response_description,
                responses=route.responses,
                deprecated=route.deprecated,
                methods=route.methods,
                operation_id=route.operation_id,
                include_in_schema=route.include_in_schema,
                response_class=route.response_class,
                name=route.name,
                callbacks=route.callbacks,
                openapi_extra=route.openapi_extra,
                generate_unique_id_function=route.generate_unique_id_function,
            )


# The leading literal segments a route is indexed by (with its number of segments).
INDEXED_SEGMENTS = 3
PathKey = tuple[int, tuple[str, ...]]


def _path_key(path: str) -> PathKey:
    segments = path.split("/")[1:]
    return len(segments), tuple(segments[:INDEXED_SEGMENTS])


def _template_key(route: BaseRoute) -> PathKey | None:
    """The key of every path `route` can match, or None when that is not one key (a mount,
    a parameter among the leading segments, a parameter that spans segments)."""
    template = getattr(route, "path_format", None)
    if template is None or isinstance(route, Mount) or ":path}" in getattr(route, "path", ""):
        return None
    count, leading = _path_key(template)
    if any("{" in segment for segment in leading):
        return None
    return count, leading


class RouteIndex:
    """Matches a request against only the routes that could match its path.

    Starlette tries the routes in order, a regular expression each: the availability check
    was compared with 55 routes before its own. Here routes are grouped by their number of
    segments and their leading literal segments; a request is matched, in the original order,
    against its group (and the few routes that fit no group), so answers are those of the
    whole list. What a group cannot answer (a 404, a slash redirect) the whole list does.
    A route added after the index was built makes it rebuild itself on the next request.
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.groups: dict[PathKey, APIRouter] = {}
        self._indexed = -1  # how many routes the groups were built from
        self._build()

    def _build(self) -> None:
        router = self.router
        keyed: dict[PathKey, list[int]] = {}
        unkeyed: list[int] = []
        for position, route in enumerate(router.routes):
            key = _template_key(route)
            (unkeyed if key is None else keyed.setdefault(key, [])).append(position)
        groups: dict[PathKey, APIRouter] = {}
        for key, positions in keyed.items():
            group = copy.copy(router)
            group.routes = [router.routes[i] for i in sorted(positions + unkeyed)]
            group.redirect_slashes = False
            group.default = router.app
            groups[key] = group
        self.groups = groups
        self._indexed = len(router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if len(self.router.routes) != self._indexed:
                self._build()
            group = self.groups.get(_path_key(get_route_path(scope)))
            if group is not None:
                scope.setdefault("router", self.router)  # url_for sees every route
                await group.app(scope, receive, send)
                return
        await self.router.app(scope, receive, send)


def index_routes(app: FastAPI, authenticate: Authenticate) -> None:
    """Call once the routes are added (one added later costs a rebuild of the index).
    Routes marked `answered_from_copies` send their stored answers before the index."""
    app.router.middleware_stack = StoredAnswers(RouteIndex(app.router), app.router, authenticate)
