"""When a staff member works: weekly working hours and time off."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from app.errors import NotFoundError, ValidationFailedError
from app.repository import TenantWriter
from app.schemas import Page
from app.tenancy.models import Branch, Company, Staff, TimeOff, WorkingHours
from app.tenancy.zones import zone_of
from app.timezones import to_utc

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


class ScheduleService(TenantWriter):
    """Times without an offset are read in the staff member's branch zone (`zone_of`)."""

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
        await self.bookable_changed()
        return await self._working_hours(staff_id)

    async def add_time_off(self, staff_id: int, data: dict[str, Any]) -> TimeOff:
        tz = await self._zone_of_staff(staff_id)
        starts_at, ends_at = to_utc(data["starts_at"], tz), to_utc(data["ends_at"], tz)
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
        await self.bookable_changed()
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
        tz = await self._zone_of_staff(staff_id)
        stmt = (
            self.scoped(TimeOff)
            .where(TimeOff.staff_id == staff_id)
            .order_by(TimeOff.starts_at, TimeOff.id)
        )
        if starts_from is not None and until is not None and until <= starts_from:
            raise ValidationFailedError("query.to", "must be after from")
        if starts_from is not None:
            stmt = stmt.where(TimeOff.ends_at > to_utc(starts_from, tz))
        if until is not None:
            stmt = stmt.where(TimeOff.starts_at < to_utc(until, tz))
        return await self.paginate(stmt, limit, offset)

    async def delete_time_off(self, staff_id: int, time_off_id: int) -> None:
        stmt = self.scoped(TimeOff).where(TimeOff.id == time_off_id, TimeOff.staff_id == staff_id)
        time_off = (await self.session.execute(stmt)).scalars().first()
        if time_off is None:
            raise NotFoundError(f"Time off {time_off_id} of staff {staff_id} not found.")
        await self.session.delete(time_off)
        await self.session.flush()
        await self.bookable_changed()

    async def _working_hours(self, staff_id: int) -> list[WorkingHours]:
        stmt = (
            self.scoped(WorkingHours)
            .where(WorkingHours.staff_id == staff_id)
            .order_by(WorkingHours.weekday, WorkingHours.start_time)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def _zone_of_staff(self, staff_id: int) -> ZoneInfo:
        """The staff member's branch zone (404 for another company's staff)."""
        row = (
            await self.session.execute(
                select(Branch, Company)
                .join(Staff, Staff.branch_id == Branch.id)
                .join(Company, Company.id == Branch.company_id)
                .where(Staff.id == staff_id, Staff.company_id == self.company_id)
            )
        ).first()
        if row is None:
            raise NotFoundError(f"Staff {staff_id} not found.")
        return zone_of(*row)
