"""Branches."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.errors import problem_responses
from app.schemas import IdPath, Page
from app.tenancy.dependencies import BranchServiceDep, PhoneRegionDep
from app.tenancy.schemas import BranchCreate, BranchQuery, BranchRead, BranchUpdate

router = APIRouter(prefix="/branches", tags=["branches"])
# One model for every query parameter: a model beside loose parameters would be handed
# those too and refuse them as extra inputs.
ListQuery = Annotated[BranchQuery, Query()]


@router.post(
    "",
    response_model=BranchRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a branch",
    responses=problem_responses(401, 403, 422),
)
async def create_branch(body: BranchCreate, service: BranchServiceDep, region: PhoneRegionDep):
    return await service.create(body.model_dump(exclude_none=True), region)


@router.get(
    "",
    response_model=Page[BranchRead],
    summary="List branches",
    responses=problem_responses(401, 422),
)
async def list_branches(service: BranchServiceDep, query: ListQuery):
    return await service.list(query.limit, query.offset, is_active=query.is_active)


@router.get(
    "/{branch_id}",
    response_model=BranchRead,
    summary="Get a branch",
    responses=problem_responses(401, 404),
)
async def get_branch(branch_id: IdPath, service: BranchServiceDep):
    return await service.get(branch_id)


@router.patch(
    "/{branch_id}",
    response_model=BranchRead,
    summary="Update a branch",
    responses=problem_responses(401, 404, 422),
)
async def update_branch(
    branch_id: IdPath, body: BranchUpdate, service: BranchServiceDep, region: PhoneRegionDep
):
    return await service.update(branch_id, body.model_dump(exclude_unset=True), region)


@router.delete(
    "/{branch_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a branch (its appointments stay on record)",
    responses=problem_responses(401, 404),
)
async def deactivate_branch(branch_id: IdPath, service: BranchServiceDep) -> None:
    await service.deactivate(branch_id)
