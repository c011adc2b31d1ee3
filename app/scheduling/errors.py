from typing import Any

from app.errors import ConflictError


class SlotUnavailableError(ConflictError):
    """The time is taken (or became taken while booking); carries the nearest alternatives."""

    type, title = "slot-unavailable", "Time not available"

    def __init__(self, detail: str, *, reason: str, alternatives: list[dict[str, Any]]):
        super().__init__(detail, reason=reason, alternatives=alternatives)


class InvalidStatusTransitionError(ConflictError):
    type, title = "invalid-status-transition", "Not possible in the appointment's status"
