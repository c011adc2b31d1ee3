"""All tenancy routes, one module per resource."""

from fastapi import APIRouter

from app.tenancy.routes import (
    branches,
    companies,
    customers,
    phone_numbers,
    schedules,
    services,
    staff,
)

router = APIRouter()
router.include_router(companies.router)
router.include_router(branches.router)
router.include_router(services.router)
router.include_router(staff.router)
router.include_router(schedules.router)
router.include_router(customers.router)
router.include_router(phone_numbers.router)
