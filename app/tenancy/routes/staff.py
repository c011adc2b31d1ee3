"""Staff members and the services they perform."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.errors import problem_responses
from app.schemas import IdPath, Page
from app.tenancy.dependencies import StaffServiceDep
from app.tenancy.schemas import StaffCreate, StaffQuery, StaffRead, StaffUpdate

router = APIRouter(prefix="/staff", tags=["staff"])
ListQuery = Annotated[StaffQuery, Query()]


@router.post(
    "",
    response_model=StaffRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a staff member",
    responses=problem_responses(401, 403, 422),
)
async def create_staff(body: StaffCreate, service: StaffServiceDep):
    return await service.create(body.model_dump())


@router.get(
    "",
    response_model=Page[StaffRead],
    summary="List staff",
    responses=problem_responses(401, 403, 422),
)
async def list_staff(service: StaffServiceDep, query: ListQuery):
    filters = query.model_dump(include={"branch_id", "service_id", "is_active"})
    return await service.list(query.limit, query.offset, **filters)


@router.get(
    "/{staff_id}",
    response_model=StaffRead,
    summary="Get a staff member",
    responses=problem_responses(401, 403, 404),
)
async def get_staff(staff_id: IdPath, service: StaffServiceDep):
    return await service.get(staff_id)


@router.patch(
    "/{staff_id}",
    response_model=StaffRead,
    summary="Update a staff member",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_staff(staff_id: IdPath, body: StaffUpdate, service: StaffServiceDep):
    return await service.update(staff_id, body.model_dump(exclude_unset=True))


@router.delete(
    "/{staff_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a staff member (their appointments stay on record)",
    responses=problem_responses(401, 403, 404),
)
async def deactivate_staff(staff_id: IdPath, service: StaffServiceDep) -> None:
    await service.deactivate(staff_id)
