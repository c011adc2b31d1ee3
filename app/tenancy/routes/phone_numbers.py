"""Phone numbers that route calls to a company and branch."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.errors import problem_responses
from app.schemas import IdPath, Page
from app.tenancy.dependencies import PhoneNumberServiceDep, PhoneRegionDep
from app.tenancy.schemas import (
    PhoneNumberCreate,
    PhoneNumberQuery,
    PhoneNumberRead,
    PhoneNumberUpdate,
)

router = APIRouter(prefix="/phone-numbers", tags=["phone numbers"])
ListQuery = Annotated[PhoneNumberQuery, Query()]


@router.post(
    "",
    response_model=PhoneNumberRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a phone number",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_phone_number(
    body: PhoneNumberCreate, service: PhoneNumberServiceDep, region: PhoneRegionDep
):
    return await service.create(body.model_dump(), region)


@router.get(
    "",
    response_model=Page[PhoneNumberRead],
    summary="List phone numbers",
    responses=problem_responses(401, 403, 422),
)
async def list_phone_numbers(service: PhoneNumberServiceDep, query: ListQuery):
    return await service.list(query.limit, query.offset, branch_id=query.branch_id)


@router.get(
    "/{phone_number_id}",
    response_model=PhoneNumberRead,
    summary="Get a phone number",
    responses=problem_responses(401, 403, 404),
)
async def get_phone_number(phone_number_id: IdPath, service: PhoneNumberServiceDep):
    return await service.get(phone_number_id)


@router.patch(
    "/{phone_number_id}",
    response_model=PhoneNumberRead,
    summary="Update a phone number",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_phone_number(
    phone_number_id: IdPath,
    body: PhoneNumberUpdate,
    service: PhoneNumberServiceDep,
    region: PhoneRegionDep,
):
    return await service.update(phone_number_id, body.model_dump(exclude_unset=True), region)


@router.delete(
    "/{phone_number_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a phone number",
    responses=problem_responses(401, 403, 404),
)
async def delete_phone_number(phone_number_id: IdPath, service: PhoneNumberServiceDep) -> None:
    await service.delete(phone_number_id)
