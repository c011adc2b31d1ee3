"""The processing-time rule of a service definition (DESIGN §5.1), pure: a split service
has initial > 0, processing > 0 and final >= 0 minutes, adding up to its duration."""

from __future__ import annotations


def processing_time_errors(
    duration: int, initial: int | None, processing: int | None, final: int | None
) -> list[tuple[str, str]]:
    """(field, reason) for every way the durations break DESIGN §5.1's rule."""
    errors: list[tuple[str, str]] = []
    for field, value, minimum in (
        ("initial_duration", initial, 1),
        ("processing_duration", processing, 1),
        ("final_duration", final, 0),
    ):
        if value is None:
            errors.append((field, "required when has_processing_time is true"))
        elif value < minimum:
            errors.append((field, "must be greater than 0" if minimum else "must be 0 or more"))
    if not errors and initial + processing + final != duration:  # type: ignore[operator]
        total = initial + processing + final  # type: ignore[operator]
        errors.append(
            (
                "duration_minutes",
                f"must equal initial + processing + final duration ({total}), not {duration}",
            )
        )
    return errors
