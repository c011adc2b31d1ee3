"""All tenancy routes, one module per resource."""

from fastapi import APIRouter

from app.tenancy.routes import branches, companies

router = APIRouter()
router.include_router(companies.router)
router.include_router(branches.router)
