"""Companies and API keys (admin), and a company's view of itself."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.errors import problem_responses
from app.schemas import IdPath, Page, Pagination
from app.tenancy.auth import AdminDep, CompanyIdDep
from app.tenancy.companies import IssuedKey
from app.tenancy.dependencies import ApiKeyServiceDep, CompanyServiceDep, CurrentCompanyDep
from app.tenancy.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
    CompanyAdminUpdate,
    CompanyCreate,
    CompanyQuery,
    CompanyRead,
    CompanyUpdate,
)

router = APIRouter()
PageQuery = Annotated[Pagination, Query()]


def _issued(issued: IssuedKey) -> ApiKeyIssued:
    read = ApiKeyRead.model_validate(issued.api_key)
    return ApiKeyIssued(**read.model_dump(), key=issued.raw_key)


@router.post(
    "/companies",
    response_model=CompanyRead,
    status_code=status.HTTP_201_CREATED,
    tags=["admin"],
    summary="Create a company",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_company(body: CompanyCreate, _: AdminDep, service: CompanyServiceDep):
    return await service.create(body.model_dump(exclude_none=True))


@router.get(
    "/companies",
    response_model=Page[CompanyRead],
    tags=["admin"],
    summary="List companies",
    responses=problem_responses(401, 403, 422),
)
async def list_companies(
    _: AdminDep, service: CompanyServiceDep, query: Annotated[CompanyQuery, Query()]
):
    return await service.list(query.limit, query.offset, is_active=query.is_active)


@router.get(
    "/companies/{company_id}",
    response_model=CompanyRead,
    tags=["admin"],
    summary="Get a company",
    responses=problem_responses(401, 403, 404),
)
async def get_company(company_id: IdPath, _: AdminDep, service: CompanyServiceDep):
    return await service.get(company_id)


@router.patch(
    "/companies/{company_id}",
    response_model=CompanyRead,
    tags=["admin"],
    summary="Update or deactivate a company",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_company(
    company_id: IdPath, body: CompanyAdminUpdate, _: AdminDep, service: CompanyServiceDep
):
    """Deactivating a company (`is_active: false`) refuses its keys from the next request on.
    The operator may set `settings.rate_limit_per_minute`."""
    company = await service.get(company_id)
    return await service.update(company, body.model_dump(exclude_unset=True), operator=True)


@router.post(
    "/companies/{company_id}/api-keys",
    response_model=ApiKeyIssued,
    status_code=status.HTTP_201_CREATED,
    tags=["admin"],
    summary="Issue an API key for a company (shown once)",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_company_api_key(
    company_id: IdPath,
    body: ApiKeyCreate,
    _: AdminDep,
    companies: CompanyServiceDep,
    keys: ApiKeyServiceDep,
):
    await companies.get(company_id)
    return _issued(await keys.issue(company_id, body.name))


@router.get(
    "/companies/{company_id}/api-keys",
    response_model=Page[ApiKeyRead],
    tags=["admin"],
    summary="List a company's API keys",
    responses=problem_responses(401, 403, 404),
)
async def list_company_api_keys(
    company_id: IdPath,
    _: AdminDep,
    companies: CompanyServiceDep,
    keys: ApiKeyServiceDep,
    page: PageQuery,
):
    await companies.get(company_id)
    return await keys.list(company_id, page.limit, page.offset)


@router.delete(
    "/companies/{company_id}/api-keys/{key_id}",
    response_model=ApiKeyRead,
    tags=["admin"],
    summary="Revoke a company's API key",
    responses=problem_responses(401, 403, 404),
)
async def revoke_company_api_key(
    company_id: IdPath, key_id: IdPath, _: AdminDep, keys: ApiKeyServiceDep
):
    return await keys.revoke(company_id, key_id)


@router.get(
    "/company",
    response_model=CompanyRead,
    tags=["company"],
    summary="The calling company",
    responses=problem_responses(401, 403),
)
async def get_own_company(company: CurrentCompanyDep):
    return company


@router.patch(
    "/company",
    response_model=CompanyRead,
    tags=["company"],
    summary="Update the calling company",
    responses=problem_responses(401, 403, 409, 422),
)
async def update_own_company(
    body: CompanyUpdate, company: CurrentCompanyDep, service: CompanyServiceDep
):
    return await service.update(company, body.model_dump(exclude_unset=True))


@router.post(
    "/api-keys",
    response_model=ApiKeyIssued,
    status_code=status.HTTP_201_CREATED,
    tags=["company"],
    summary="Issue another key for the calling company (shown once)",
    responses=problem_responses(401, 403, 422),
)
async def create_api_key(body: ApiKeyCreate, company_id: CompanyIdDep, keys: ApiKeyServiceDep):
    return _issued(await keys.issue(company_id, body.name))


@router.get(
    "/api-keys",
    response_model=Page[ApiKeyRead],
    tags=["company"],
    summary="List the calling company's keys",
    responses=problem_responses(401, 403),
)
async def list_api_keys(company_id: CompanyIdDep, keys: ApiKeyServiceDep, page: PageQuery):
    return await keys.list(company_id, page.limit, page.offset)


@router.delete(
    "/api-keys/{key_id}",
    response_model=ApiKeyRead,
    tags=["company"],
    summary="Revoke one of the calling company's keys",
    responses=problem_responses(401, 403, 404),
)
async def revoke_api_key(key_id: IdPath, company_id: CompanyIdDep, keys: ApiKeyServiceDep):
    return await keys.revoke(company_id, key_id)
