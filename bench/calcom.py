"""Cal.com scenarios against the fake Cal.com process: 300 ms latency, hanging, breaker open.

They run one request at a time, as a caller on the phone does: the figures are the latency
one caller waits, not a throughput.

Each availability check asks about a window no earlier check touched, so Cal.com's slots
are never served from the cache and every row measures the upstream path it names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from bench.load import Result, run
from bench.seed import BenchSalon

WINDOW_STRIDE = timedelta(days=35)  # wider than the ±15 days a check reads from Cal.com


async def scenarios(base_url: str, calcom_url: str, salon: BenchSalon, quick: bool) -> list[Result]:
    headers = {"Authorization": f"Bearer {salon.api_key}"}
    first = datetime.combine(salon.first_day + timedelta(days=60), datetime.min.time())
    counter = iter(range(10_000))

    def check(_: int) -> dict:
        day = first + WINDOW_STRIDE * next(counter)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return {
            "branch_id": salon.branch_id,
            "service_id": salon.calcom_cut_id,
            "staff_id": salon.staff_ids[1],
            "start": day.replace(hour=10).isoformat(),
        }

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
        ]
        # Five hanging calls (3 s each) open the breaker; the checks after them stay local.
        await fake.post("/_fake/config", json={"latency": 0, "hang": True})
        results.append(
            await run(client, "check, Cal.com hanging (opens the breaker)", post_check, 5, 1)
        )
        results.append(
            await run(
                client, "check, breaker open (local view)", post_check, 50 if quick else 200, 1
            )
        )
        await fake.post("/_fake/config", json={"hang": False})
    return results
