"""Service providers for the tenancy routers."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from app.deps import CacheDep, SessionDep, SettingsDep
from app.repository import TenantWriter
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

W = TypeVar("W", bound=TenantWriter)


async def _company_service(session: SessionDep, cache: CacheDep) -> CompanyService:
    return CompanyService(session, cache)


async def _api_key_service(session: SessionDep, cache: CacheDep) -> ApiKeyService:
    return ApiKeyService(session, cache)


def _tenant_writer(service: type[W]) -> Callable[..., Awaitable[W]]:
    """The provider of a service whose writes change what the company can book."""

    async def provide(request: Request, session: SessionDep, company_id: CompanyIdDep) -> W:
        # The cache from the app's state, not a declared dependency: /services is a hot read.
        return service(session, company_id, request.app.state.cache)

    return provide


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
BranchServiceDep = Annotated[BranchService, Depends(_tenant_writer(BranchService))]
CatalogServiceDep = Annotated[CatalogService, Depends(_tenant_writer(CatalogService))]
StaffServiceDep = Annotated[StaffService, Depends(_tenant_writer(StaffService))]
ScheduleServiceDep = Annotated[ScheduleService, Depends(_tenant_writer(ScheduleService))]
CustomerServiceDep = Annotated[CustomerService, Depends(_customer_service)]
PhoneNumberServiceDep = Annotated[PhoneNumberService, Depends(_phone_number_service)]
CurrentCompanyDep = Annotated[Company, Depends(_current_company)]
PhoneRegionDep = Annotated[str, Depends(_phone_region)]
