"""Service providers and the idempotency guard for the scheduling routers."""

from typing import Annotated

from fastapi import Depends, Header, Request

from app.calcom.dependencies import calcom_client, calcom_slot_source
from app.deps import CacheDep, CompanyIdDep, SessionDep, SettingsDep
from app.idempotency import IdempotencyGuard
from app.policies.dependencies import ModificationPolicyDep
from app.scheduling.availability import AvailabilityService
from app.scheduling.booking import BookingService
from app.scheduling.health import ProcessingTimeHealthService


async def _availability_service(
    request: Request,
    session: SessionDep,
    company_id: CompanyIdDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> AvailabilityService:
    return AvailabilityService(
        session,
        company_id,
        cache,
        settings.features,
        clock=request.app.state.now,
        calendar=calcom_slot_source(request),
    )


async def _booking_service(
    request: Request,
    session: SessionDep,
    company_id: CompanyIdDep,
    cache: CacheDep,
    settings: SettingsDep,
    policy: ModificationPolicyDep,
) -> BookingService:
    return BookingService(
        session,
        company_id,
        cache,
        settings.features,
        default_region=settings.default_phone_region,
        clock=request.app.state.now,
        policy=policy,
        calcom=calcom_client(request),
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


AvailabilityServiceDep = Annotated[AvailabilityService, Depends(_availability_service)]
BookingServiceDep = Annotated[BookingService, Depends(_booking_service)]
IdempotencyDep = Annotated[IdempotencyGuard, Depends(_idempotency)]
HealthServiceDep = Annotated[ProcessingTimeHealthService, Depends(_health_service)]
