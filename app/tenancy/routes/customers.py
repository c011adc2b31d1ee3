"""Customers."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.errors import problem_responses
from app.schemas import IdPath, Page
from app.tenancy.dependencies import CustomerServiceDep, PhoneRegionDep
from app.tenancy.schemas import CustomerCreate, CustomerQuery, CustomerRead, CustomerUpdate

router = APIRouter(prefix="/customers", tags=["customers"])
ListQuery = Annotated[CustomerQuery, Query()]


@router.post(
    "",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a customer",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_customer(
    body: CustomerCreate, service: CustomerServiceDep, region: PhoneRegionDep
):
    return await service.create(body.model_dump(), region)


@router.get(
    "",
    response_model=Page[CustomerRead],
    summary="List or find customers",
    responses=problem_responses(401, 403, 422),
)
async def list_customers(service: CustomerServiceDep, region: PhoneRegionDep, query: ListQuery):
    return await service.list(query.limit, query.offset, region, phone=query.phone, q=query.q)


@router.get(
    "/{customer_id}",
    response_model=CustomerRead,
    summary="Get a customer",
    responses=problem_responses(401, 403, 404),
)
async def get_customer(customer_id: IdPath, service: CustomerServiceDep):
    return await service.get(customer_id)


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    summary="Update a customer",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_customer(
    customer_id: IdPath, body: CustomerUpdate, service: CustomerServiceDep, region: PhoneRegionDep
):
    return await service.update(customer_id, body.model_dump(exclude_unset=True), region)


@router.delete(
    "/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a customer who has no appointments",
    responses=problem_responses(401, 403, 404, 409),
)
async def delete_customer(customer_id: IdPath, service: CustomerServiceDep) -> None:
    await service.delete(customer_id)
