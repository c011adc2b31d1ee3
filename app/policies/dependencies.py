"""Service providers for the policy routers."""

from typing import Annotated

from fastapi import Depends, Request

from app.deps import CacheDep, SessionDep
from app.policies.config_service import PolicyConfigService
from app.policies.modifications import ModificationHistory
from app.policies.resolver import PolicyResolver
from app.tenancy.auth import CompanyIdDep


async def _config_service(
    request: Request, session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> PolicyConfigService:
    return PolicyConfigService(session, company_id, cache, clock=request.app.state.now)


async def _resolver(
    session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> PolicyResolver:
    return PolicyResolver(session, company_id, cache)


async def _history(session: SessionDep, company_id: CompanyIdDep) -> ModificationHistory:
    return ModificationHistory(session, company_id)


PolicyConfigServiceDep = Annotated[PolicyConfigService, Depends(_config_service)]
PolicyResolverDep = Annotated[PolicyResolver, Depends(_resolver)]
ModificationHistoryDep = Annotated[ModificationHistory, Depends(_history)]
