"""A staff member's working hours and time off."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.errors import problem_responses
from app.schemas import IdPath, Page
from app.tenancy.dependencies import ScheduleServiceDep
from app.tenancy.schemas import TimeOffCreate, TimeOffQuery, TimeOffRead, WorkingHoursWeek

router = APIRouter(prefix="/staff/{staff_id}", tags=["staff"])
ListQuery = Annotated[TimeOffQuery, Query()]


@router.get(
    "/working-hours",
    response_model=WorkingHoursWeek,
    summary="Get a staff member's weekly working hours",
    responses=problem_responses(401, 403, 404),
)
async def get_working_hours(staff_id: IdPath, schedules: ScheduleServiceDep):
    return {"working_hours": await schedules.working_hours(staff_id)}


@router.put(
    "/working-hours",
    response_model=WorkingHoursWeek,
    summary="Replace a staff member's weekly working hours",
    responses=problem_responses(401, 403, 404, 422),
)
async def replace_working_hours(
    staff_id: IdPath, body: WorkingHoursWeek, schedules: ScheduleServiceDep
):
    """The week sent replaces the stored one; a weekday left out is a day off."""
    ranges = [item.model_dump() for item in body.working_hours]
    return {"working_hours": await schedules.replace_working_hours(staff_id, ranges)}


@router.post(
    "/time-off",
    response_model=TimeOffRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add time off for a staff member",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_time_off(staff_id: IdPath, body: TimeOffCreate, schedules: ScheduleServiceDep):
    return await schedules.add_time_off(staff_id, body.model_dump())


@router.get(
    "/time-off",
    response_model=Page[TimeOffRead],
    summary="List a staff member's time off",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_time_off(staff_id: IdPath, schedules: ScheduleServiceDep, query: ListQuery):
    """Time off overlapping the window [`from`, `to`), earliest first."""
    return await schedules.list_time_off(
        staff_id, query.limit, query.offset, starts_from=query.starts_from, until=query.until
    )


@router.delete(
    "/time-off/{time_off_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete time off",
    responses=problem_responses(401, 403, 404),
)
async def delete_time_off(
    staff_id: IdPath, time_off_id: IdPath, schedules: ScheduleServiceDep
) -> None:
    await schedules.delete_time_off(staff_id, time_off_id)
