"""When a staff member works: weekly working hours and time off."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFoundError, ValidationFailedError
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.models import Staff, TimeOff, WorkingHours

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_no_overlaps(ranges: Sequence[Mapping[str, Any]]) -> None:
    """Refuse two ranges of one weekday that share a minute; touching ranges are fine.

    Names the later-listed range of the first overlapping pair, e.g. `body.working_hours.2`.
    """
    order = sorted(
        range(len(ranges)), key=lambda i: (ranges[i]["weekday"], ranges[i]["start_time"])
    )
    for previous, current in zip(order, order[1:], strict=False):
        a, b = ranges[previous], ranges[current]
        if a["weekday"] == b["weekday"] and b["start_time"] < a["end_time"]:
            first, second = sorted((previous, current))
            other = ranges[first]
            raise ValidationFailedError(
                f"body.working_hours.{second}",
                f"overlaps body.working_hours.{first} ({WEEKDAYS[other['weekday']]} "
                f"{other['start_time']:%H:%M}-{other['end_time']:%H:%M})",
            )


class ScheduleService(TenantScoped):
    def __init__(self, session: AsyncSession, company_id: int, timezone: ZoneInfo) -> None:
        super().__init__(session, company_id)
        self.timezone = timezone

    async def working_hours(self, staff_id: int) -> list[WorkingHours]:
        await self.get_or_404(Staff, staff_id)
        return await self._working_hours(staff_id)

    async def replace_working_hours(
        self, staff_id: int, ranges: Sequence[dict[str, Any]]
    ) -> list[WorkingHours]:
        """Replace the staff member's whole week with `ranges`."""
        # The row lock keeps two concurrent replacements from merging into one week.
        await self.get_or_404(Staff, staff_id, for_update=True)
        check_no_overlaps(ranges)
        await self.session.execute(
            delete(WorkingHours).where(
                WorkingHours.company_id == self.company_id, WorkingHours.staff_id == staff_id
            )
        )
        self.session.add_all(
            WorkingHours(company_id=self.company_id, staff_id=staff_id, **values)
            for values in ranges
        )
        await self.session.flush()
        return await self._working_hours(staff_id)

    async def add_time_off(self, staff_id: int, data: dict[str, Any]) -> TimeOff:
        await self.get_or_404(Staff, staff_id)
        starts_at, ends_at = self._aware(data["starts_at"]), self._aware(data["ends_at"])
        if ends_at <= starts_at:
            raise ValidationFailedError("body.ends_at", "must be after starts_at")
        time_off = TimeOff(
            company_id=self.company_id,
            staff_id=staff_id,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=data.get("reason"),
        )
        self.session.add(time_off)
        await self.session.flush()
        return time_off

    async def list_time_off(
        self,
        staff_id: int,
        limit: int,
        offset: int,
        *,
        starts_from: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[Any]:
        """Time off overlapping [starts_from, until), earliest first."""
        await self.get_or_404(Staff, staff_id)
        stmt = (
            self.scoped(TimeOff)
            .where(TimeOff.staff_id == staff_id)
            .order_by(TimeOff.starts_at, TimeOff.id)
        )
        if starts_from is not None and until is not None and until <= starts_from:
            raise ValidationFailedError("query.to", "must be after from")
        if starts_from is not None:
            stmt = stmt.where(TimeOff.ends_at > self._aware(starts_from))
        if until is not None:
            stmt = stmt.where(TimeOff.starts_at < self._aware(until))
        return await self.paginate(stmt, limit, offset)

    async def delete_time_off(self, staff_id: int, time_off_id: int) -> None:
        stmt = self.scoped(TimeOff).where(TimeOff.id == time_off_id, TimeOff.staff_id == staff_id)
        time_off = (await self.session.execute(stmt)).scalars().first()
        if time_off is None:
            raise NotFoundError(f"Time off {time_off_id} of staff {staff_id} not found.")
        await self.session.delete(time_off)
        await self.session.flush()

    async def _working_hours(self, staff_id: int) -> list[WorkingHours]:
        stmt = (
            self.scoped(WorkingHours)
            .where(WorkingHours.staff_id == staff_id)
            .order_by(WorkingHours.weekday, WorkingHours.start_time)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    def _aware(self, value: datetime) -> datetime:
        # DESIGN §2: input without an offset is wall-clock time in the company's zone.
        return value if value.tzinfo is not None else value.replace(tzinfo=self.timezone)
