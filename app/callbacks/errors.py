from app.errors import ConflictError


class InvalidStatusTransitionError(ConflictError):
    """The action is not possible from the request's current status (`current_status`)."""

    type, title = "invalid-status-transition", "Not possible in the callback request's status"
