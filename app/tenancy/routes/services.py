"""Services a company offers."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.errors import problem_responses
from app.schemas import IdPath, Page
from app.stored_answers import StoredAnswer, answered_from_copies, query_key
from app.tenancy.catalog import service_listings
from app.tenancy.dependencies import CatalogServiceDep
from app.tenancy.schemas import ServiceCreate, ServiceQuery, ServiceRead, ServiceUpdate

router = APIRouter(prefix="/services", tags=["services"])
ListQuery = Annotated[ServiceQuery, Query()]
# A listing asked again (the same company, query and generation) is sent as stored.
STORED_LISTINGS = StoredAnswer(key=query_key(ServiceQuery), copies=service_listings)


@router.post(
    "",
    response_model=ServiceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a service",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_service(body: ServiceCreate, catalog: CatalogServiceDep):
    return await catalog.create(body.model_dump())


@router.get(
    "",
    response_model=Page[ServiceRead],
    summary="List services",
    responses=problem_responses(401, 403, 422),
)
@answered_from_copies(STORED_LISTINGS)
async def list_services(catalog: CatalogServiceDep, query: ListQuery):
    return Response(await catalog.list_response(query), media_type="application/json")


@router.get(
    "/{service_id}",
    response_model=ServiceRead,
    summary="Get a service",
    responses=problem_responses(401, 403, 404),
)
async def get_service(service_id: IdPath, catalog: CatalogServiceDep):
    return await catalog.get(service_id)


@router.patch(
    "/{service_id}",
    response_model=ServiceRead,
    summary="Update a service",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_service(service_id: IdPath, body: ServiceUpdate, catalog: CatalogServiceDep):
    """Only the fields sent change; the processing-time rule is checked on the result."""
    return await catalog.update(service_id, body.model_dump(exclude_unset=True))


@router.delete(
    "/{service_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a service (its appointments stay on record)",
    responses=problem_responses(401, 403, 404),
)
async def deactivate_service(service_id: IdPath, catalog: CatalogServiceDep) -> None:
    await catalog.deactivate(service_id)
