from app.errors import ConflictError


class DuplicateError(ConflictError):
    type, title = "duplicate", "Already exists"


class InUseError(ConflictError):
    """A row other records still refer to, so deleting it would lose history."""

    type, title = "in-use", "Still in use"
