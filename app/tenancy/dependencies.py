"""Service providers for the tenancy routers."""

from typing import Annotated

from fastapi import Depends

from app.deps import CacheDep, CompanyIdDep, SessionDep, SettingsDep
from app.tenancy.branches import BranchService
from app.tenancy.companies import ApiKeyService, CompanyService
from app.tenancy.models import Company
from app.tenancy.phones import region_of_company


async def _company_service(session: SessionDep) -> CompanyService:
    return CompanyService(session)


async def _api_key_service(session: SessionDep, cache: CacheDep) -> ApiKeyService:
    return ApiKeyService(session, cache)


async def _branch_service(session: SessionDep, company_id: CompanyIdDep) -> BranchService:
    return BranchService(session, company_id)


async def _current_company(session: SessionDep, company_id: CompanyIdDep) -> Company:
    return await CompanyService(session).get(company_id)


async def _phone_region(company: "CurrentCompanyDep", settings: SettingsDep) -> str:
    return region_of_company(company.settings, settings.default_phone_region)


CompanyServiceDep = Annotated[CompanyService, Depends(_company_service)]
ApiKeyServiceDep = Annotated[ApiKeyService, Depends(_api_key_service)]
BranchServiceDep = Annotated[BranchService, Depends(_branch_service)]
CurrentCompanyDep = Annotated[Company, Depends(_current_company)]
PhoneRegionDep = Annotated[str, Depends(_phone_region)]
