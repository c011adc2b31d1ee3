"""Service providers and the idempotency guard for the scheduling routers.

The external calendar (a CalendarPort) and the change listeners are wired by the app at
startup (`app.state.calendar`, `app.state.appointment_listeners`): scheduling never
imports an integration.
"""

from typing import Annotated

from fastapi import Depends, Header, Request

from app.deps import SessionDep, SettingsDep
from app.idempotency import IdempotencyGuard
from app.policies.modifications import Actor, ModificationHistory
from app.scheduling.availability import AvailabilityService
from app.scheduling.health import ProcessingTimeHealthService
from app.scheduling.service import SchedulingService
from app.tenancy.auth import CompanyIdDep, TenantDep


async def _availability_service(
    request: Request, session: SessionDep, company_id: CompanyIdDep
) -> AvailabilityService:
    # The app's parts are read from its state, not declared as dependencies: this serves
    # the hottest route, and each declared dependency costs more than the lookup.
    state = request.app.state
    return AvailabilityService(
        session,
        company_id,
        state.cache,
        state.settings.features,
        clock=state.now,
        calendar=state.calendar,
    )


async def _scheduling_service(
    request: Request,
    session: SessionDep,
    company_id: CompanyIdDep,
    tenant: TenantDep,
) -> SchedulingService:
    state = request.app.state
    return SchedulingService(
        session,
        company_id,
        state.cache,
        state.settings.features,
        default_region=state.settings.default_phone_region,
        clock=state.now,
        # A company API key is the salon's staff (front desk, admin apps): they may force.
        actor=Actor.api_key(tenant.key_id),
        calendar=state.calendar,
        listeners=state.appointment_listeners,
    )


async def _idempotency(
    request: Request,
    session: SessionDep,
    company_id: CompanyIdDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=255,
            description="Makes the POST safe to retry: the same key and body replay the first "
            "response; the same key with another body is 422; while the first is running, 409.",
        ),
    ] = None,
) -> IdempotencyGuard:
    fingerprint = IdempotencyGuard.fingerprint_of(
        request.method, request.url.path, await request.body()
    )
    return IdempotencyGuard(
        request.app.state.sessionmaker,
        session,
        company_id,
        idempotency_key,
        fingerprint,
        clock=request.app.state.now,
    )


async def _health_service(
    request: Request, session: SessionDep, company_id: CompanyIdDep, settings: SettingsDep
) -> ProcessingTimeHealthService:
    return ProcessingTimeHealthService(
        session, settings.features, company_id, clock=request.app.state.now
    )


async def _history(session: SessionDep, company_id: CompanyIdDep) -> ModificationHistory:
    return ModificationHistory(session, company_id)


AvailabilityServiceDep = Annotated[AvailabilityService, Depends(_availability_service)]
SchedulingServiceDep = Annotated[SchedulingService, Depends(_scheduling_service)]
IdempotencyDep = Annotated[IdempotencyGuard, Depends(_idempotency)]
HealthServiceDep = Annotated[ProcessingTimeHealthService, Depends(_health_service)]
ModificationHistoryDep = Annotated[ModificationHistory, Depends(_history)]
