"""Callback requests: take one, the queue, and their status changes."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.callbacks.dependencies import CallbackServiceDep
from app.callbacks.schemas import (
    CallbackAssign,
    CallbackCancel,
    CallbackComplete,
    CallbackContacted,
    CallbackCreate,
    CallbackEscalate,
    CallbackFilters,
    CallbackRead,
)
from app.errors import problem_responses
from app.schemas import IdPath, Page

router = APIRouter(prefix="/callbacks")

TRANSITION_ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "",
    response_model=CallbackRead,
    status_code=status.HTTP_201_CREATED,
    response_description="Created: a new `pending` request; `merged` is false.",
    summary="Ask for a callback (merged into the caller's open request when there is one)",
    responses={
        200: {
            "model": CallbackRead,
            "description": "Merged: the caller's open request from the last 30 minutes, with "
            "this one's priority (when higher), reason and notes added; `merged` is true.",
        },
        **problem_responses(401, 403, 422),
    },
)
async def create_callback(body: CallbackCreate, service: CallbackServiceDep, response: Response):
    """201 with a new `pending` request whose `expires_at` is now + the SLA of its priority;
    200 with `merged: true` when the same phone has a pending or assigned request of this
    company from the last 30 minutes."""
    callback, merged = await service.request(body)
    if merged:
        response.status_code = status.HTTP_200_OK
    return await service.present(callback, merged=merged)


@router.get(
    "",
    response_model=Page[CallbackRead],
    summary="List callback requests, earliest deadline first",
    responses=problem_responses(401, 403, 422),
)
async def list_callbacks(filters: Annotated[CallbackFilters, Query()], service: CallbackServiceDep):
    return await service.present_page(await service.list(filters))


@router.get(
    "/{callback_id}",
    response_model=CallbackRead,
    summary="Get a callback request with its escalations",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_callback(callback_id: IdPath, service: CallbackServiceDep):
    return await service.present(await service.get(callback_id))


@router.post(
    "/{callback_id}/assign",
    response_model=CallbackRead,
    summary="Assign to a staff member",
    responses=TRANSITION_ERRORS,
)
async def assign_callback(callback_id: IdPath, body: CallbackAssign, service: CallbackServiceDep):
    """From pending or assigned (reassigning); anything else is 409 naming the current
    status."""
    return await service.present(await service.assign(callback_id, body.staff_id))


@router.post(
    "/{callback_id}/contacted",
    response_model=CallbackRead,
    summary="Record an attempt to reach the caller",
    responses=TRANSITION_ERRORS,
)
async def contacted_callback(
    callback_id: IdPath, service: CallbackServiceDep, body: CallbackContacted | None = None
):
    """Counts an attempt (`attempts` + 1, `contacted_at`) and leaves the request open as
    `contacted`; from pending, assigned or contacted, else 409. Past its deadline with 3 or
    more attempts, the job escalates it as `multiple_attempts_failed`."""
    notes = body.notes if body is not None else None
    return await service.present(await service.contacted(callback_id, notes))


@router.post(
    "/{callback_id}/complete",
    response_model=CallbackRead,
    summary="Mark as done",
    responses=TRANSITION_ERRORS,
)
async def complete_callback(
    callback_id: IdPath, service: CallbackServiceDep, body: CallbackComplete | None = None
):
    """From pending, assigned or contacted, else 409; its open escalations are resolved."""
    notes = body.notes if body is not None else None
    return await service.present(await service.complete(callback_id, notes))


@router.post(
    "/{callback_id}/cancel",
    response_model=CallbackRead,
    summary="Cancel",
    responses=TRANSITION_ERRORS,
)
async def cancel_callback(
    callback_id: IdPath, service: CallbackServiceDep, body: CallbackCancel | None = None
):
    """From pending, assigned or contacted, else 409; its open escalations are resolved."""
    reason = body.reason if body is not None else None
    return await service.present(await service.cancel(callback_id, reason))


@router.post(
    "/{callback_id}/escalate",
    response_model=CallbackRead,
    summary="Escalate by hand",
    responses=TRANSITION_ERRORS,
)
async def escalate_callback(
    callback_id: IdPath, service: CallbackServiceDep, body: CallbackEscalate | None = None
):
    """Records a `manual_escalation` and, with `to_staff_id`, assigns the request to them.
    From pending, assigned or contacted, else 409. The job does not escalate it again within
    one SLA period."""
    request = body or CallbackEscalate()
    escalated = await service.escalate(callback_id, request.reason, request.to_staff_id)
    return await service.present(escalated)
