"""Policy errors: a refused cancel or reschedule, and override links that would loop."""

from __future__ import annotations

from typing import Any

from app.errors import DomainError, ValidationFailedError


class PolicyViolationError(DomainError):
    """A cancel or reschedule the effective policy refuses; carries the enforcement body
    (allowed, reason, fee, hours_notice, policy) so the caller can say why and what forcing
    it would cost."""

    status, type, title = 422, "policy-violation", "Not allowed by policy"

    def __init__(self, detail: str, enforcement: dict[str, Any]):
        super().__init__(detail, **enforcement)


class OverrideCycleError(ValidationFailedError):
    type = "policy-override-cycle"

    def __init__(self, chain: list[int]):
        path = " -> ".join(str(policy_id) for policy_id in chain)
        super().__init__("body.overrides_id", f"the override links would form a cycle ({path})")
