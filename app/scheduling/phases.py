"""Processing-time phase arithmetic and the rollout flags that decide who gets phases.

A split service has an initial phase (staff busy), a processing phase (staff free to serve
someone else) and a final phase (staff busy). Everything here is pure and I/O-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.config import FeatureFlags
from app.scheduling.intervals import Interval
from app.scheduling.models import AppointmentPhase, PhaseType
from app.tenancy.processing_time import processing_time_errors  # noqa: F401  (re-exported)


class ServiceTiming(Protocol):
    id: int
    company_id: int
    duration_minutes: int
    has_processing_time: bool
    initial_duration: int | None
    processing_duration: int | None
    final_duration: int | None


@dataclass(frozen=True, slots=True)
class PlannedPhase:
    phase_type: PhaseType
    sequence_order: int
    start_offset_minutes: int
    duration_minutes: int
    staff_required: bool
    starts_at: datetime
    ends_at: datetime

    @property
    def interval(self) -> Interval:
        return Interval(self.starts_at, self.ends_at)


def is_split(service: ServiceTiming, flags: FeatureFlags) -> bool:
    """Whether appointments of `service` get phases under the current rollout stage."""
    if not service.has_processing_time:
        return False
    if service.id in flags.processing_time_service_whitelist:
        return True
    if not flags.processing_time_enabled:
        return False
    whitelist = flags.processing_time_company_whitelist
    return not whitelist or service.company_id in whitelist


def plan_phases(service: ServiceTiming, start: datetime) -> list[PlannedPhase]:
    """The phases of an appointment of a split service starting at `start` (aware UTC)."""
    durations = [
        (PhaseType.INITIAL, service.initial_duration or 0, True),
        (PhaseType.PROCESSING, service.processing_duration or 0, False),
        (PhaseType.FINAL, service.final_duration or 0, True),
    ]
    phases: list[PlannedPhase] = []
    offset = 0
    for order, (phase_type, minutes, staff_required) in enumerate(durations, start=1):
        if minutes <= 0:
            continue  # a zero-length final phase is allowed and simply absent
        starts_at = start + timedelta(minutes=offset)
        phases.append(
            PlannedPhase(
                phase_type,
                order,
                offset,
                minutes,
                staff_required,
                starts_at,
                starts_at + timedelta(minutes=minutes),
            )
        )
        offset += minutes
    return phases


def staff_busy_intervals(service: ServiceTiming, start: datetime, split: bool) -> list[Interval]:
    """The parts of a new appointment during which its staff member is occupied."""
    if split and service.has_processing_time:
        return [p.interval for p in plan_phases(service, start) if p.staff_required]
    return [Interval(start, start + timedelta(minutes=service.duration_minutes))]


def phase_rows(
    service: ServiceTiming, company_id: int, staff_id: int, start: datetime
) -> list[AppointmentPhase]:
    """Unsaved AppointmentPhase rows for an appointment of a split service at `start`."""
    return [
        AppointmentPhase(
            company_id=company_id,
            staff_id=staff_id,
            phase_type=phase.phase_type,
            sequence_order=phase.sequence_order,
            start_offset_minutes=phase.start_offset_minutes,
            duration_minutes=phase.duration_minutes,
            staff_required=phase.staff_required,
            starts_at=phase.starts_at,
            ends_at=phase.ends_at,
        )
        for phase in plan_phases(service, start)
    ]


def phases_for(
    service: ServiceTiming, flags: FeatureFlags, company_id: int, staff_id: int, start: datetime
) -> list[AppointmentPhase]:
    """The phase rows a new appointment gets: none unless its service is split under the
    rollout flags and phases are created automatically."""
    if not (is_split(service, flags) and flags.processing_time_auto_create):
        return []
    return phase_rows(service, company_id, staff_id, start)


def move_appointment(
    appointment: Any, start: datetime, end: datetime, staff_id: int | None = None
) -> None:
    """Move an appointment (with its phases loaded) and shift every phase with it."""
    shift = start - appointment.starts_at
    appointment.starts_at, appointment.ends_at = start, end
    if staff_id is not None:
        appointment.staff_id = staff_id
    for phase in appointment.phases:
        phase.starts_at += shift
        phase.ends_at += shift
        phase.staff_id = appointment.staff_id
