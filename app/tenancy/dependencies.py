"""Service providers for the tenancy routers."""

from typing import Annotated

from fastapi import Depends, Request

from app.deps import CacheDep, SessionDep, SettingsDep
from app.tenancy.auth import CompanyIdDep
from app.tenancy.branches import BranchService
from app.tenancy.catalog import CatalogService
from app.tenancy.companies import ApiKeyService, CompanyService
from app.tenancy.company_settings import CompanySettings
from app.tenancy.customers import CustomerService
from app.tenancy.models import Company
from app.tenancy.phone_numbers import PhoneNumberService
from app.tenancy.schedules import ScheduleService
from app.tenancy.staff import StaffService


async def _company_service(session: SessionDep, cache: CacheDep) -> CompanyService:
    return CompanyService(session, cache)


async def _api_key_service(session: SessionDep, cache: CacheDep) -> ApiKeyService:
    return ApiKeyService(session, cache)


async def _branch_service(
    session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> BranchService:
    return BranchService(session, company_id, cache)


async def _catalog_service(
    request: Request, session: SessionDep, company_id: CompanyIdDep
) -> CatalogService:
    # The cache from the app's state, not a declared dependency: /services is a hot read.
    return CatalogService(session, company_id, request.app.state.cache)


async def _staff_service(
    session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> StaffService:
    return StaffService(session, company_id, cache)


async def _schedule_service(
    session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> ScheduleService:
    return ScheduleService(session, company_id, cache)


async def _customer_service(session: SessionDep, company_id: CompanyIdDep) -> CustomerService:
    return CustomerService(session, company_id)


async def _phone_number_service(
    session: SessionDep, company_id: CompanyIdDep
) -> PhoneNumberService:
    return PhoneNumberService(session, company_id)


async def _current_company(session: SessionDep, company_id: CompanyIdDep) -> Company:
    return await session.get(Company, company_id)  # the key's company exists


async def _phone_region(company: "CurrentCompanyDep", settings: SettingsDep) -> str:
    return CompanySettings.from_stored(company.settings).region(settings.default_phone_region)


CompanyServiceDep = Annotated[CompanyService, Depends(_company_service)]
ApiKeyServiceDep = Annotated[ApiKeyService, Depends(_api_key_service)]
BranchServiceDep = Annotated[BranchService, Depends(_branch_service)]
CatalogServiceDep = Annotated[CatalogService, Depends(_catalog_service)]
StaffServiceDep = Annotated[StaffService, Depends(_staff_service)]
ScheduleServiceDep = Annotated[ScheduleService, Depends(_schedule_service)]
CustomerServiceDep = Annotated[CustomerService, Depends(_customer_service)]
PhoneNumberServiceDep = Annotated[PhoneNumberService, Depends(_phone_number_service)]
CurrentCompanyDep = Annotated[Company, Depends(_current_company)]
PhoneRegionDep = Annotated[str, Depends(_phone_region)]
