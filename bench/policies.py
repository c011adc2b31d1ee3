"""The salon chain of the policies issue, configured through the API before the rows run: a
company rule with fee tiers and a monthly quota, a branch that relaxes the notice, a stylist
with a tighter quota. The quotas are high enough never to refuse, so every cancel of the
cancel row takes the full path: policy, notice, quota read under the customer lock, audit row
and counter."""

from __future__ import annotations

import httpx

from bench.seed import BenchSalon

COMPANY_POLICY = {
    "hours_before": 24,
    "fee_tiers": [{"min_hours": 24, "fee": 10}, {"min_hours": 48, "fee": 0}],
    "max_cancellations_per_month": 1000,
}


async def configure(client: httpx.AsyncClient, salon: BenchSalon) -> None:
    targets = [
        ("company", salon.company_id, COMPANY_POLICY),
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
