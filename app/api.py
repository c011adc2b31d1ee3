"""Assembles the routers: operations at the root, the REST API under /api/v1."""

from fastapi import APIRouter, FastAPI

from app.calcom.router import router as calcom_router
from app.callbacks.router import router as callbacks_router
from app.notifications.router import router as notifications_router
from app.ops.router import router as ops_router
from app.policies.router import router as policies_router
from app.scheduling.router import router as scheduling_router
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
