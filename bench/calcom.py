"""Python-driven rows (labelled so in the table): the Cal.com fault cases, which need the
fake Cal.com's knobs turned between requests and one request at a time, as a caller on the
phone waits for one answer. The figures are the latency one caller waits, not a throughput.

Each availability check asks about a window no earlier check touched, so Cal.com's slots
are never served from the cache and every row measures the upstream path it names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from bench import voice
from bench.load import Result, run
from bench.seed import BenchSalon

WINDOW_STRIDE = timedelta(days=35)  # wider than the ±15 days a check reads from Cal.com


async def scenarios(base_url: str, calcom_url: str, salon: BenchSalon, quick: bool) -> list[Result]:
    headers = {"Authorization": f"Bearer {salon.api_key}"}
    first = datetime.combine(salon.first_day + timedelta(days=60), datetime.min.time())
    counter = iter(range(10_000))

    def next_window() -> datetime:
        day = first + WINDOW_STRIDE * next(counter)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day.replace(hour=10)

    def check(_: int) -> dict:
        return {
            "branch_id": salon.branch_id,
            "service_id": salon.calcom_cut_id,
            "staff_id": salon.staff_ids[1],
            "start": next_window().isoformat(),
        }

    def voice_check(client: httpx.AsyncClient, _: int):
        start = next_window()
        raw, signed = voice.check_availability(
            salon.calcom_cut_id, start.date(), start.strftime("%H:%M"), salon.phone_number
        )
        return client.post(
            voice.FUNCTIONS_PATH,
            content=raw.encode(),
            headers={**signed, "content-type": "application/json"},
        )

    def book(index: int) -> dict:
        # The fake Cal.com is one host: every booking needs a time of its own.
        day = first - timedelta(days=30) + timedelta(days=index // 20)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = day.replace(hour=8) + timedelta(minutes=30 * (index % 20))
        return {
            "branch_id": salon.branch_id,
            "service_id": salon.calcom_cut_id,
            "staff_id": salon.staff_ids[index % len(salon.staff_ids)],
            "start": start.isoformat(),
            "customer": {"name": f"Cal {index}", "phone": f"+49157{40000000 + index:08d}"},
        }

    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client,
        httpx.AsyncClient(base_url=calcom_url, timeout=5) as fake,
    ):
        post_check = lambda c, i: c.post("/api/v1/availability/check", json=check(i))  # noqa: E731
        await fake.post("/_fake/config", json={"latency": 0.3, "hang": False})
        results = [
            await run(
                client,
                "check via Cal.com at 300 ms (slots uncached)",
                post_check,
                5 if quick else 20,
                1,
            ),
            await run(
                client,
                "book via Cal.com at 300 ms",
                lambda c, i: c.post("/api/v1/appointments", json=book(i)),
                10 if quick else 40,
                1,
            ),
            await run(
                client,
                "voice: check_availability via Cal.com at 300 ms (target p95 < 1 s)",
                voice_check,
                5 if quick else 20,
                1,
            ),
        ]
        # Five hanging calls (3 s each) open the breaker: three from the voice agent (each
        # must still be answered within 3.5 s), then two checks; later checks stay local.
        await fake.post("/_fake/config", json={"latency": 0, "hang": True})
        results.append(
            await run(
                client,
                "voice: check_availability, Cal.com hanging (target answered < 3.5 s)",
                voice_check,
                3,
                1,
            )
        )
        results.append(
            await run(client, "check, Cal.com hanging (opens the breaker)", post_check, 2, 1)
        )
        results.append(
            await run(
                client, "check, breaker open (local view)", post_check, 50 if quick else 200, 1
            )
        )
        results.append(
            await run(
                client,
                "voice: check_availability, breaker open (target p95 < 50 ms)",
                voice_check,
                50 if quick else 200,
                1,
            )
        )
        await fake.post("/_fake/config", json={"hang": False})
    return results
