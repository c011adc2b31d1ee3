"""Notification settings per level, the effective settings, the events, and deliveries."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.errors import problem_responses
from app.notifications.dependencies import DeliveryLogDep, NotificationSettingsDep
from app.notifications.schemas import (
    DeliveryFilters,
    DeliveryRead,
    EffectiveQuery,
    EffectiveRead,
    EventRead,
    Level,
    NotificationConfigRead,
    NotificationConfigWrite,
)
from app.schemas import IdPath, Page

router = APIRouter(prefix="/notifications", tags=["notifications"])
TARGET = "/{level}/{entity_id}/{event_type}"
LevelPath = Annotated[
    Level, Path(description="The level the settings are set on: company, branch, service, staff.")
]
EventPath = Annotated[
    str, Path(max_length=64, description="The event, e.g. booking_confirmed (see /events).")
]


@router.get(
    "/events",
    response_model=list[EventRead],
    summary="The notification events and their default channels",
    responses=problem_responses(401, 403),
)
async def list_notification_events(deliveries: DeliveryLogDep):
    return await deliveries.events()


@router.get(
    "/effective",
    response_model=EffectiveRead,
    summary="The settings that apply to an event for a branch, service and staff member",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_effective_notification_settings(
    query: Annotated[EffectiveQuery, Query()], settings: NotificationSettingsDep
):
    """Resolved staff → service → branch → company → the event's defaults, key by key;
    `sources` names where each value came from."""
    effective = await settings.effective(
        query.event_type,
        branch_id=query.branch_id,
        service_id=query.service_id,
        staff_id=query.staff_id,
    )
    return EffectiveRead(
        event_type=effective.event_type, config=effective.config, sources=effective.sources
    )


@router.get(
    "/deliveries",
    response_model=Page[DeliveryRead],
    summary="Messages written for sending, and what became of them",
    responses=problem_responses(401, 403, 422),
)
async def list_notification_deliveries(
    filters: Annotated[DeliveryFilters, Query()], deliveries: DeliveryLogDep
):
    return await deliveries.list(filters)


@router.put(
    TARGET,
    response_model=NotificationConfigRead,
    summary="Set a level's settings of an event (201 when created, 200 when replaced)",
    responses={
        201: {"model": NotificationConfigRead, "description": "Created."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def put_notification_settings(
    level: LevelPath,
    entity_id: IdPath,
    event_type: EventPath,
    body: NotificationConfigWrite,
    settings: NotificationSettingsDep,
    response: Response,
):
    """Keys left out of the body are inherited from the level above. A `template_override`
    is rendered in a sandbox with sample data first: a template that fails, or uses an
    unknown variable, is a 422."""
    row, created = await settings.put(
        level, entity_id, event_type, body.model_dump(exclude_unset=True)
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return row


@router.get(
    TARGET,
    response_model=NotificationConfigRead,
    summary="Get a level's own settings of an event (not resolved)",
    responses=problem_responses(401, 403, 404),
)
async def get_notification_settings(
    level: LevelPath, entity_id: IdPath, event_type: EventPath, settings: NotificationSettingsDep
):
    return await settings.get(level, entity_id, event_type)


@router.delete(
    TARGET,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a level's settings of an event; it then inherits from above",
    responses=problem_responses(401, 403, 404),
)
async def delete_notification_settings(
    level: LevelPath, entity_id: IdPath, event_type: EventPath, settings: NotificationSettingsDep
) -> None:
    await settings.delete(level, entity_id, event_type)
