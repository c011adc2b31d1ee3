"""Policy configuration per level, effective policies, dry-run checks and modification history."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.errors import problem_responses
from app.policies.dependencies import (
    ModificationHistoryDep,
    PolicyConfigServiceDep,
    PolicyResolverDep,
)
from app.policies.models import PolicyLevel, PolicyType
from app.policies.resolver import policy_answers
from app.policies.schemas import (
    EffectivePolicyQuery,
    EffectivePolicyRead,
    ModificationFilters,
    ModificationRead,
    PolicyFilters,
    PolicyRead,
    PolicyWrite,
)
from app.schemas import IdPath, Page
from app.stored_answers import StoredAnswer, answered_from_copies, query_key

router = APIRouter()
# An effective policy asked again (the same company, query and generation) is sent as stored.
STORED_EFFECTIVE = StoredAnswer(key=query_key(EffectivePolicyQuery), copies=policy_answers)
LevelPath = Annotated[
    PolicyLevel,
    Path(description="The level the policy is set on: company, branch, service or staff."),
]
PolicyTypePath = Annotated[PolicyType, Path(description="cancellation, reschedule or recurring.")]
TARGET = "/policies/{level}/{entity_id}/{policy_type}"


@router.get(
    "/policies/effective",
    response_model=EffectivePolicyRead,
    tags=["policies"],
    summary="The policy that applies to a staff member, service and branch, and why",
    responses=problem_responses(401, 403, 404, 422),
)
@answered_from_copies(STORED_EFFECTIVE)
async def get_effective_policy(
    query: Annotated[EffectivePolicyQuery, Query()], resolver: PolicyResolverDep
):
    """Company, branch, service and staff configs merged in that order (a key a level leaves
    out is inherited); `sources` names the level, entity and policy of every key."""
    return Response(await resolver.effective_response(query), media_type="application/json")


@router.get(
    "/policies",
    response_model=Page[PolicyRead],
    tags=["policies"],
    summary="List the active policies",
    responses=problem_responses(401, 403, 422),
)
async def list_policies(
    filters: Annotated[PolicyFilters, Query()], policies: PolicyConfigServiceDep
):
    return await policies.list(filters)


@router.put(
    TARGET,
    response_model=PolicyRead,
    tags=["policies"],
    summary="Set a level's policy (201 when created, 200 when replaced)",
    responses={
        201: {"model": PolicyRead, "description": "Created: this level had no policy of the type."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def put_policy(
    level: LevelPath,
    entity_id: IdPath,
    policy_type: PolicyTypePath,
    body: PolicyWrite,
    policies: PolicyConfigServiceDep,
    response: Response,
):
    """Replaces the whole config of this level (keys left out are inherited from above).
    Effective policies are recomputed for every later request."""
    policy, created = await policies.put(level, entity_id, policy_type, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return policy


@router.get(
    TARGET,
    response_model=PolicyRead,
    tags=["policies"],
    summary="Get a level's own policy (not merged)",
    responses=problem_responses(401, 403, 404),
)
async def get_policy(
    level: LevelPath,
    entity_id: IdPath,
    policy_type: PolicyTypePath,
    policies: PolicyConfigServiceDep,
):
    return await policies.get(level, entity_id, policy_type)


@router.delete(
    TARGET,
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["policies"],
    summary="Remove a level's policy; the level then inherits from above",
    responses=problem_responses(401, 403, 404),
)
async def delete_policy(
    level: LevelPath,
    entity_id: IdPath,
    policy_type: PolicyTypePath,
    policies: PolicyConfigServiceDep,
) -> None:
    await policies.delete(level, entity_id, policy_type)


@router.get(
    "/customers/{customer_id}/modifications",
    response_model=Page[ModificationRead],
    tags=["customers"],
    summary="A customer's cancellations and reschedules, newest first",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_customer_modifications(
    customer_id: IdPath,
    filters: Annotated[ModificationFilters, Query()],
    history: ModificationHistoryDep,
):
    return await history.for_customer(customer_id, filters)
