"""Assembles the routers: operations at the root, the REST API under /api/v1."""

from fastapi import APIRouter

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
