from app.errors import ConflictError


class DuplicateError(ConflictError):
    type, title = "duplicate", "Already exists"
