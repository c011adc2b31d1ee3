"""Cal.com failures, split into operational ones (retry later, trip the breaker) and rejections."""

from app.errors import DomainError, UpstreamUnavailableError


class CalcomError(Exception):
    """Base of every Cal.com client failure."""


class CalcomUnavailableError(CalcomError):
    """Timeout, connection failure, 5xx or an open breaker: Cal.com cannot answer now."""


class CalcomTimeoutError(CalcomUnavailableError):
    pass


class CalcomCircuitOpenError(CalcomUnavailableError):
    pass


class CalcomRejectedError(CalcomError):
    """A 4xx: the request itself was refused; retrying it would not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Cal.com refused the request ({status}): {message}")
        self.status = status
        self.message = message


class CalcomSlotTakenError(CalcomRejectedError):
    """The slot is no longer free in Cal.com (a 409, or a 400 saying it is booked)."""


class CalendarUnavailableError(UpstreamUnavailableError):
    """Surfaced to callers when a booking cannot be confirmed with the calendar."""

    type, title = "calendar-unavailable", "Calendar unavailable"


class CalendarRejectedError(DomainError):
    """Cal.com answered but refused the change (a 4xx other than "slot taken")."""

    status, type, title = 502, "calendar-rejected", "Calendar refused the change"
