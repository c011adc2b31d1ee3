"""Service providers for the policy routers and for the booking lifecycle."""

from typing import Annotated

from fastapi import Depends, Request

from app.deps import CacheDep, CompanyIdDep, SessionDep, TenantDep
from app.policies.configuration import PolicyConfigService
from app.policies.enforcement import PolicyEnforcer
from app.policies.modifications import Actor, ModificationHistory, ModificationPolicy
from app.policies.resolver import PolicyResolver


async def _config_service(
    request: Request, session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> PolicyConfigService:
    return PolicyConfigService(session, company_id, cache, clock=request.app.state.now)


async def _resolver(
    session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> PolicyResolver:
    return PolicyResolver(session, company_id, cache)


async def _enforcer(
    request: Request, session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> PolicyEnforcer:
    return PolicyEnforcer(session, company_id, cache, clock=request.app.state.now)


async def _history(session: SessionDep, company_id: CompanyIdDep) -> ModificationHistory:
    return ModificationHistory(session, company_id)


async def _modification_policy(
    request: Request,
    session: SessionDep,
    company_id: CompanyIdDep,
    tenant: TenantDep,
    cache: CacheDep,
) -> ModificationPolicy:
    # A company API key is the salon's staff (front desk, admin apps): they may force.
    return ModificationPolicy(
        session, company_id, cache, Actor.api_key(tenant.key_id), clock=request.app.state.now
    )


PolicyConfigServiceDep = Annotated[PolicyConfigService, Depends(_config_service)]
PolicyResolverDep = Annotated[PolicyResolver, Depends(_resolver)]
PolicyEnforcerDep = Annotated[PolicyEnforcer, Depends(_enforcer)]
ModificationHistoryDep = Annotated[ModificationHistory, Depends(_history)]
ModificationPolicyDep = Annotated[ModificationPolicy, Depends(_modification_policy)]
