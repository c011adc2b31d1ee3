"""A fake Cal.com v2 (slots and bookings) for tests and local runs, with fault knobs.

    uvicorn --factory tools.fake_calcom:create_app --port 5555

Knobs: `latency` (seconds added to every call), `hang` (never answer), `fail_statuses`
(statuses to answer for the next calls, e.g. [503, 503]), `busy` (UTC starts Cal.com reports
as taken). Locally they can be set with POST /_fake/config; tests set them on `FakeCalcom`.
Changes made "in Cal.com" by its users: `book`, `cancel` and `move` (a reschedule gets a
new uid, as in Cal.com); `GET /v2/bookings` lists them for reconciliation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class FakeCalcom:
    latency: float = 0.0
    hang: bool = False
    fail_statuses: list[int] = field(default_factory=list)
    busy: set[datetime] = field(default_factory=set)
    open_hours: tuple[time, time] = (time(9), time(18))
    zone: str = "Europe/Berlin"
    bookings: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- changes made "in Cal.com" (by its users), for reconcile tests ----------------------

    def book(
        self,
        event_type_id: int,
        start: datetime,
        attendee: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """A booking made directly in Cal.com; its uid."""
        attendee = attendee or {"name": "Walk-in", "email": "walk-in@example.com"}
        return _new_booking(self, event_type_id, start, attendee, metadata)["uid"]

    def cancel(self, uid: str) -> None:
        self.bookings[uid]["status"] = "cancelled"
        self.bookings[uid]["updated_at"] = datetime.now(UTC)

    def move(self, uid: str, start: datetime) -> str:
        """Reschedule as Cal.com does: a new booking (new uid), the old one cancelled."""
        old = self.bookings[uid]
        new = _new_booking(self, old["eventTypeId"], start, old["attendee"], old["metadata"])
        new["rescheduledFromUid"] = uid
        old["status"], old["rescheduledToUid"] = "cancelled", new["uid"]
        old["updated_at"] = datetime.now(UTC)
        return new["uid"]

    def slots_for_day(self, day: date, minutes: int = 15) -> list[datetime]:
        tz = ZoneInfo(self.zone)
        start = datetime.combine(day, self.open_hours[0], tzinfo=tz)
        end = datetime.combine(day, self.open_hours[1], tzinfo=tz)
        taken = self.busy | {
            b["start_dt"] for b in self.bookings.values() if b["status"] == "accepted"
        }
        slots, current = [], start
        while current < end:
            if current.astimezone(UTC) not in taken:
                slots.append(current)
            current += timedelta(minutes=minutes)
        return slots


def create_app(fake: FakeCalcom | None = None) -> Starlette:
    fake = fake or FakeCalcom()

    async def record(request: Request) -> Any:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        fake.requests.append(
            RecordedRequest(
                request.method,
                request.url.path,
                dict(request.headers),
                dict(request.query_params),
                body,
            )
        )
        if fake.hang:
            await asyncio.Event().wait()
        if fake.latency:
            await asyncio.sleep(fake.latency)
        return body

    def failure() -> JSONResponse | None:
        if fake.fail_statuses:
            status = fake.fail_statuses.pop(0)
            return _error(status, "FakeFailure", f"injected {status}")
        return None

    async def slots(request: Request) -> JSONResponse:
        await record(request)
        if (failed := failure()) is not None:
            return failed
        if request.headers.get("cal-api-version") != "2024-09-04":
            return _error(404, "NotFoundException", "old slots controller: send cal-api-version")
        start = datetime.fromisoformat(request.query_params["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(request.query_params["end"].replace("Z", "+00:00"))
        out_tz = ZoneInfo(request.query_params.get("timeZone", "UTC"))
        data: dict[str, list[dict[str, str]]] = {}
        day = start.astimezone(ZoneInfo(fake.zone)).date()
        while datetime.combine(day, time(0), tzinfo=ZoneInfo(fake.zone)) < end:
            for slot in fake.slots_for_day(day):
                if start <= slot < end:
                    local = slot.astimezone(out_tz)
                    data.setdefault(local.date().isoformat(), []).append(
                        {"start": local.isoformat(timespec="milliseconds")}
                    )
            day += timedelta(days=1)
        return JSONResponse({"status": "success", "data": data})

    async def create_booking(request: Request) -> JSONResponse:
        body = await record(request)
        if (failed := failure()) is not None:
            return failed
        start = datetime.fromisoformat(body["start"].replace("Z", "+00:00"))
        if (taken := _taken(fake, start)) is not None:
            return taken
        booking = _new_booking(
            fake, body["eventTypeId"], start, body.get("attendee", {}), body.get("metadata")
        )
        return JSONResponse({"status": "success", "data": _public(booking)}, status_code=201)

    async def cancel_booking(request: Request) -> JSONResponse:
        await record(request)
        if (failed := failure()) is not None:
            return failed
        booking = fake.bookings.get(request.path_params["uid"])
        if booking is None:
            return _error(404, "NotFoundException", "booking not found")
        fake.cancel(booking["uid"])
        return JSONResponse({"status": "success", "data": _public(booking)})

    async def reschedule_booking(request: Request) -> JSONResponse:
        body = await record(request)
        if (failed := failure()) is not None:
            return failed
        old = fake.bookings.get(request.path_params["uid"])
        if old is None or old["status"] != "accepted":
            return _error(400, "BadRequestException", "booking cannot be rescheduled")
        start = datetime.fromisoformat(body["start"].replace("Z", "+00:00"))
        if (taken := _taken(fake, start)) is not None:
            return taken
        new = fake.bookings[fake.move(old["uid"], start)]
        return JSONResponse({"status": "success", "data": _public(new)}, status_code=201)

    async def list_bookings(request: Request) -> JSONResponse:
        await record(request)
        if (failed := failure()) is not None:
            return failed
        query = request.query_params
        wanted = {int(part) for part in query.get("eventTypeIds", "").split(",") if part}
        after_updated = _instant(query.get("afterUpdatedAt"))
        after_created = _instant(query.get("afterCreatedAt"))
        matching = [
            booking
            for booking in fake.bookings.values()
            if (not wanted or booking["eventTypeId"] in wanted)
            and (after_updated is None or booking["updated_at"] > after_updated)
            and (after_created is None or booking["created_at"] > after_created)
        ]
        matching.sort(key=lambda booking: (booking["updated_at"], booking["id"]))
        take, skip = int(query.get("take", 100)), int(query.get("skip", 0))
        page = matching[skip : skip + take]
        pagination = {
            "totalItems": len(matching),
            "returnedItems": len(page),
            "itemsPerPage": take,
            "remainingItems": max(0, len(matching) - skip - take),
            "hasNextPage": skip + take < len(matching),
            "hasPreviousPage": skip > 0,
        }
        return JSONResponse(
            {"status": "success", "data": [_public(b) for b in page], "pagination": pagination}
        )

    async def configure(request: Request) -> JSONResponse:
        config = await request.json()
        for key in ("latency", "hang", "fail_statuses"):
            if key in config:
                setattr(fake, key, config[key])
        return JSONResponse(
            {"latency": fake.latency, "hang": fake.hang, "fail_statuses": fake.fail_statuses}
        )

    app = Starlette(
        routes=[
            Route("/v2/slots", slots, methods=["GET"]),
            Route("/v2/bookings", create_booking, methods=["POST"]),
            Route("/v2/bookings", list_bookings, methods=["GET"]),
            Route("/v2/bookings/{uid}/cancel", cancel_booking, methods=["POST"]),
            Route("/v2/bookings/{uid}/reschedule", reschedule_booking, methods=["POST"]),
            Route("/_fake/config", configure, methods=["POST"]),
        ]
    )
    app.state.fake = fake
    return app


def _taken(fake: FakeCalcom, start: datetime) -> JSONResponse | None:
    booked = any(
        b["start_dt"] == start and b["status"] == "accepted" for b in fake.bookings.values()
    )
    if start in fake.busy or booked:
        return _error(
            400,
            "BadRequestException",
            "User either already has booking at this time or is not available",
        )
    return None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _new_booking(
    fake: FakeCalcom,
    event_type_id: int,
    start: datetime,
    attendee: dict,
    metadata: dict[str, str] | None = None,
) -> dict:
    uid = uuid.uuid4().hex[:22]
    now = datetime.now(UTC)
    booking = {
        "id": next(fake._ids),
        "uid": uid,
        "status": "accepted",
        "eventTypeId": event_type_id,
        "start_dt": start,
        "attendee": attendee,
        "metadata": metadata or {},
        "created_at": now,
        "updated_at": now,
    }
    fake.bookings[uid] = booking
    return booking


def _public(booking: dict[str, Any]) -> dict[str, Any]:
    start = booking["start_dt"]
    return {
        "id": booking["id"],
        "uid": booking["uid"],
        "status": booking["status"],
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
        "eventTypeId": booking["eventTypeId"],
        "eventType": {"id": booking["eventTypeId"]},
        "rescheduledFromUid": booking.get("rescheduledFromUid"),
        "rescheduledToUid": booking.get("rescheduledToUid"),
        "attendees": [booking["attendee"]],
        "hosts": [
            {"id": fake_host_id, "name": "Host"} for fake_host_id in booking.get("hosts", [])
        ],
        "metadata": booking.get("metadata", {}),
        "createdAt": booking["created_at"].isoformat().replace("+00:00", "Z"),
        "updatedAt": booking["updated_at"].isoformat().replace("+00:00", "Z"),
    }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "status": "error",
            "timestamp": datetime.now(UTC).isoformat(),
            "path": "",
            "error": {"code": code, "message": message},
        },
        status_code=status,
    )
