"""Policy scenarios: the effective-policy lookup (uncached and cached) and a policy-checked cancel.

The salon chain of the policies issue is configured through the API first: a company rule
with fee tiers and a monthly quota, a branch that relaxes the notice, a stylist with a
tighter quota. The quota is set high enough never to refuse, so every cancel takes the
full path: policy, notice, quota read under the customer lock, audit row and counter.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx

from bench.load import Result, run
from bench.seed import BenchSalon

COMPANY_POLICY = {
    "hours_before": 24,
    "fee_tiers": [{"min_hours": 24, "fee": 10}, {"min_hours": 48, "fee": 0}],
    "max_cancellations_per_month": 1000,
}


async def configure(client: httpx.AsyncClient, company_id: int, salon: BenchSalon) -> None:
    targets = [
        ("company", company_id, COMPANY_POLICY),
        ("branch", salon.branch_id, {"hours_before": 12}),
        ("staff", salon.staff_ids[0], {"max_cancellations_per_month": 500}),
    ]
    for level, entity_id, config in targets:
        for policy_type in ("cancellation", "reschedule"):
            response = await client.put(
                f"/api/v1/policies/{level}/{entity_id}/{policy_type}",
                json={"config": config if policy_type == "cancellation" else {"fee": 5}},
            )
            response.raise_for_status()


def lookups(salon: BenchSalon) -> list[dict]:
    """Every distinct effective-policy query of the salon, so each one misses the cache once."""
    staff = [None, *salon.staff_ids]
    services = [None, salon.cut_id, salon.colour_id]
    branches = [None, salon.branch_id]
    types = ["cancellation", "reschedule", "recurring"]
    return [
        {
            "policy_type": policy_type,
            **{
                name: value
                for name, value in (
                    ("staff_id", staff_id),
                    ("service_id", service_id),
                    ("branch_id", branch_id),
                )
                if value is not None
            },
        }
        for policy_type, staff_id, service_id, branch_id in itertools.product(
            types, staff, services, branches
        )
    ]


async def cancellable(client: httpx.AsyncClient, salon: BenchSalon, count: int) -> list[int]:
    """Seeded appointments at least three days ahead: well within the 24 h notice."""
    date_from = (salon.first_day + timedelta(days=3)).isoformat()
    response = await client.get(
        "/api/v1/appointments",
        params={"date_from": date_from, "status": "confirmed", "limit": min(count, 200)},
    )
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]]


async def scenarios(client: httpx.AsyncClient, salon: BenchSalon, scale: float) -> list[Result]:
    company_id = (await client.get("/api/v1/company")).json()["id"]
    await configure(client, company_id, salon)
    queries = lookups(salon)
    cached_query = {"policy_type": "cancellation", "staff_id": salon.staff_ids[0]}
    appointment_ids = await cancellable(client, salon, int(200 * scale))

    uncached = await run(
        client,
        f"policies/effective, uncached ({len(queries)} distinct queries)",
        lambda c, i: c.get("/api/v1/policies/effective", params=queries[i]),
        len(queries),
        10,
    )
    await client.get("/api/v1/policies/effective", params=cached_query)  # warm the cache
    cached = await run(
        client,
        "policies/effective, cached",
        lambda c, i: c.get("/api/v1/policies/effective", params=cached_query),
        int(4000 * scale),
        200,
    )
    cancels = await run(
        client,
        "cancel with policy check + audit row",
        lambda c, i: c.post(f"/api/v1/appointments/{appointment_ids[i]}/cancel", json={}),
        len(appointment_ids),
        20,
    )
    return [uncached, cached, cancels]
