"""Availability and appointments."""

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

from app.deps import reads_only, writes
from app.errors import problem_responses
from app.idempotency import StoredResponse
from app.policies.schemas import (
    EnforcementRead,
    ModificationFilters,
    ModificationRead,
    PolicyCheckQuery,
)
from app.scheduling.availability import availability_cache, check_key
from app.scheduling.dependencies import (
    AvailabilityServiceDep,
    HealthServiceDep,
    IdempotencyDep,
    ModificationHistoryDep,
    SchedulingServiceDep,
)
from app.scheduling.schemas import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentFilters,
    AppointmentRead,
    AppointmentReschedule,
    AppointmentUpdate,
    AvailabilityCheck,
    AvailabilityCheckResult,
    AvailabilityList,
    AvailabilityQuery,
    ProcessingTimeHealthRead,
)
from app.scheduling.service import appointment_listings
from app.schemas import IdPath, Page
from app.stored_answers import StoredAnswer, answered_from_copies, query_key

router = APIRouter()


def _stored_check_key(body: bytes, query: QueryParams) -> str | None:
    try:
        return check_key(AvailabilityCheck.model_validate_json(body))
    except ValidationError:
        return None  # the route answers what is wrong with it


# Answers sent from their stored copies (app.stored_answers) when asked again: the same
# company, request and generation.
STORED_CHECKS = StoredAnswer(key=_stored_check_key, copies=availability_cache)
STORED_LISTINGS = StoredAnswer(key=query_key(AppointmentFilters), copies=appointment_listings)


def _replayable(result: BaseModel | StoredResponse) -> BaseModel | JSONResponse:
    if isinstance(result, StoredResponse):
        return JSONResponse(
            result.body, status_code=result.status_code, headers={"Idempotent-Replayed": "true"}
        )
    return result


@router.post(
    "/availability/check",
    response_model=AvailabilityCheckResult,
    tags=["availability"],
    summary="Is this time free? If not, the nearest alternatives",
    responses=problem_responses(401, 404, 422, 429),
)
@reads_only
@answered_from_copies(STORED_CHECKS)
async def check_availability(body: AvailabilityCheck, service: AvailabilityServiceDep):
    """Answers `available`; when the time is taken, outside working hours, too soon or in the
    past, up to `max_alternatives` free starts ranked by distance from the requested start
    (the requested staff member's first)."""
    return Response(await service.check_for_response(body), media_type="application/json")


@router.get(
    "/availability",
    response_model=AvailabilityList,
    tags=["availability"],
    summary="Free starts per day for a service",
    responses=problem_responses(401, 404, 422, 429),
)
async def list_availability(
    query: Annotated[AvailabilityQuery, Query()], service: AvailabilityServiceDep
):
    return await service.list_free(query)


@router.post(
    "/appointments",
    response_model=AppointmentRead,
    status_code=status.HTTP_201_CREATED,
    tags=["appointments"],
    summary="Book an appointment",
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def create_appointment(
    body: AppointmentCreate, scheduling: SchedulingServiceDep, idempotency: IdempotencyDep
):
    """Books the slot or answers 409 `slot-unavailable` with two alternatives. Safe to retry
    with an `Idempotency-Key`."""

    async def book() -> AppointmentRead:
        return await scheduling.present(await scheduling.book(body))

    return _replayable(await idempotency.run(book, status.HTTP_201_CREATED))


@router.get(
    "/appointments",
    response_model=Page[AppointmentRead],
    tags=["appointments"],
    summary="List appointments",
    responses=problem_responses(401, 422),
)
@answered_from_copies(STORED_LISTINGS)
async def list_appointments(
    filters: Annotated[AppointmentFilters, Query()], scheduling: SchedulingServiceDep
):
    return Response(await scheduling.list_response(filters), media_type="application/json")


@router.get(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    tags=["appointments"],
    summary="Get an appointment with its phases",
    responses=problem_responses(401, 404),
)
async def get_appointment(appointment_id: IdPath, scheduling: SchedulingServiceDep):
    return await scheduling.present(await scheduling.find(appointment_id))


@router.patch(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    tags=["appointments"],
    summary="Change service, notes or status",
    responses=problem_responses(401, 404, 409, 422),
)
async def update_appointment(
    appointment_id: IdPath, body: AppointmentUpdate, scheduling: SchedulingServiceDep
):
    """A new service is re-checked against the staff member's calendar and its phases are
    rebuilt."""
    return await scheduling.present(await scheduling.update(appointment_id, body))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=AppointmentRead,
    tags=["appointments"],
    summary="Cancel an appointment",
    responses=problem_responses(401, 404, 409, 422),
)
async def cancel_appointment(
    appointment_id: IdPath,
    scheduling: SchedulingServiceDep,
    idempotency: IdempotencyDep,
    body: AppointmentCancel | None = None,
):
    """Applies the effective cancellation policy: a refusal is 422 `policy-violation` with
    the reason, the notice and the fee that `force: true` would record. Every cancellation
    is added to the appointment's modifications."""

    request = body or AppointmentCancel()

    async def cancel() -> AppointmentRead:
        cancelled = await scheduling.cancel(appointment_id, request.reason, force=request.force)
        return await scheduling.present(cancelled)

    return _replayable(await idempotency.run(cancel, status.HTTP_200_OK))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response_model=AppointmentRead,
    tags=["appointments"],
    summary="Move an appointment (phases move with it)",
    responses=problem_responses(401, 404, 409, 422),
)
async def reschedule_appointment(
    appointment_id: IdPath,
    body: AppointmentReschedule,
    scheduling: SchedulingServiceDep,
    idempotency: IdempotencyDep,
):
    """Applies the effective reschedule policy (notice measured to the current start) before
    the new time is checked; refusals and `force` work as for cancelling."""

    async def reschedule() -> AppointmentRead:
        return await scheduling.present(await scheduling.reschedule(appointment_id, body))

    return _replayable(await idempotency.run(reschedule, status.HTTP_200_OK))


@router.post(
    "/appointments/{appointment_id}/complete",
    response_model=AppointmentRead,
    tags=["appointments"],
    summary="Mark an appointment as done",
    responses=problem_responses(401, 404, 409),
)
async def complete_appointment(appointment_id: IdPath, scheduling: SchedulingServiceDep):
    """From pending or confirmed; anything else is 409 naming the current status."""
    return await scheduling.present(await scheduling.complete(appointment_id))


@router.post(
    "/appointments/{appointment_id}/no-show",
    response_model=AppointmentRead,
    tags=["appointments"],
    summary="Mark that the customer did not come",
    responses=problem_responses(401, 404, 409),
)
async def mark_no_show(appointment_id: IdPath, scheduling: SchedulingServiceDep):
    """From pending or confirmed; anything else is 409 naming the current status."""
    return await scheduling.present(await scheduling.mark_no_show(appointment_id))


@router.get(
    "/appointments/{appointment_id}/policy-check",
    response_model=EnforcementRead,
    tags=["appointments"],
    summary="Would a cancel or reschedule be allowed now, at what fee, and why",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def check_appointment_policy(
    appointment_id: IdPath,
    query: Annotated[PolicyCheckQuery, Query()],
    scheduling: SchedulingServiceDep,
):
    """A dry run of the rules the cancel and reschedule endpoints apply; changes nothing."""
    return (await scheduling.policy_check(appointment_id, query.action)).as_body()


@router.get(
    "/appointments/{appointment_id}/modifications",
    response_model=Page[ModificationRead],
    tags=["appointments"],
    summary="Cancellations and reschedules of an appointment, newest first",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_appointment_modifications(
    appointment_id: IdPath,
    filters: Annotated[ModificationFilters, Query()],
    scheduling: SchedulingServiceDep,
    history: ModificationHistoryDep,
):
    await scheduling.find(appointment_id)  # another company's appointment: 404
    return await history.for_appointment(appointment_id, filters)


@router.get(
    "/ops/processing-time-health",
    response_model=ProcessingTimeHealthRead,
    tags=["operations"],
    summary="Do today's split appointments have their phases?",
    responses=problem_responses(401, 403),
)
@writes  # fix=true rebuilds missing phases
async def processing_time_health(
    health: HealthServiceDep,
    fix: Annotated[
        bool, Query(description="Rebuild the missing phases of today's split appointments.")
    ] = False,
):
    """Counts today's appointments of split services (in the company's zone), how many have
    phase rows, and lists the orphans. `fix=true` rebuilds the missing phases."""
    return await health.check(fix=fix)
