"""Phase rows as stored, moving an appointment with its phases, the exact validation
messages, and phases at their smallest."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.config import FeatureFlags
from app.scheduling.phases import (
    move_appointment,
    phase_rows,
    phases_for,
    plan_phases,
    processing_time_errors,
)
from tests.unit.calendars import COLOUR, Svc

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def flags(**values) -> FeatureFlags:
    return FeatureFlags(_env_file=None, **values)


class TestPlanPhases:
    def test_phases_are_numbered_in_order(self):
        assert [p.sequence_order for p in plan_phases(COLOUR, START)] == [1, 2, 3]

    def test_one_minute_phases_are_kept(self):
        phases = plan_phases(Svc(3, True, 1, 1, 1), START)
        assert [(p.phase_type, p.sequence_order, p.start_offset_minutes) for p in phases] == [
            ("initial", 1, 0),
            ("processing", 2, 1),
            ("final", 3, 2),
        ]
        assert phases[-1].ends_at == START + minutes(3)

    def test_a_missing_duration_plans_no_phase_and_moves_nothing(self):
        phases = plan_phases(Svc(60, True, None, 30, 30), START)
        assert [(p.phase_type, p.starts_at, p.ends_at) for p in phases] == [
            ("processing", START, START + minutes(30)),
            ("final", START + minutes(30), START + minutes(60)),
        ]
        phases = plan_phases(Svc(60, True, 30, None, 30), START)
        assert [(p.phase_type, p.starts_at, p.ends_at) for p in phases] == [
            ("initial", START, START + minutes(30)),
            ("final", START + minutes(30), START + minutes(60)),
        ]


class TestPhaseRows:
    def test_rows_carry_every_planned_value_and_the_owner(self):
        rows = phase_rows(COLOUR, 3, 7, START)
        assert [
            (
                r.company_id,
                r.staff_id,
                r.phase_type,
                r.sequence_order,
                r.start_offset_minutes,
                r.duration_minutes,
                r.staff_required,
                r.starts_at,
                r.ends_at,
            )
            for r in rows
        ] == [
            (3, 7, "initial", 1, 0, 30, True, START, START + minutes(30)),
            (3, 7, "processing", 2, 30, 30, False, START + minutes(30), START + minutes(60)),
            (3, 7, "final", 3, 60, 30, True, START + minutes(60), START + minutes(90)),
        ]

    @pytest.mark.parametrize(
        ("values", "phases"),
        [
            ({"processing_time_enabled": True}, 3),
            ({"processing_time_enabled": True, "processing_time_auto_create": False}, 0),
            ({"processing_time_service_whitelist": frozenset({1})}, 3),
            ({}, 0),
        ],
    )
    def test_phases_for_follows_the_rollout_and_auto_create(self, values, phases):
        rows = phases_for(COLOUR, flags(**values), 3, 7, START)
        assert len(rows) == phases
        assert all((r.company_id, r.staff_id) == (3, 7) for r in rows)
        assert [r.starts_at for r in rows] == [START + minutes(30 * i) for i in range(phases)]

    def test_phases_for_an_unsplit_service_is_empty(self):
        assert phases_for(Svc(30), flags(processing_time_enabled=True), 3, 7, START) == []


def appointment_with_phases(staff_id: int = 5):
    phases = [
        SimpleNamespace(starts_at=p.starts_at, ends_at=p.ends_at, staff_id=staff_id)
        for p in plan_phases(COLOUR, START)
    ]
    return SimpleNamespace(
        starts_at=START, ends_at=START + minutes(90), staff_id=staff_id, phases=phases
    )


class TestMoveAppointment:
    @pytest.mark.parametrize("shift", [minutes(150), -minutes(45)], ids=["later", "earlier"])
    def test_every_phase_moves_with_the_appointment(self, shift):
        appointment = appointment_with_phases()
        move_appointment(appointment, START + shift, START + shift + minutes(90), staff_id=9)
        assert (appointment.starts_at, appointment.ends_at, appointment.staff_id) == (
            START + shift,
            START + shift + minutes(90),
            9,
        )
        assert [(p.starts_at, p.ends_at, p.staff_id) for p in appointment.phases] == [
            (START + shift + minutes(30 * i), START + shift + minutes(30 * (i + 1)), 9)
            for i in range(3)
        ]

    def test_without_a_new_staff_member_everyone_stays(self):
        appointment = appointment_with_phases(staff_id=5)
        move_appointment(appointment, START + minutes(60), START + minutes(150))
        assert appointment.staff_id == 5
        assert [p.staff_id for p in appointment.phases] == [5, 5, 5]
        assert appointment.phases[0].starts_at == START + minutes(60)


class TestValidationMessages:
    @pytest.mark.parametrize(
        ("durations", "errors"),
        [
            (
                (90, None, 60, 30),
                [("initial_duration", "required when has_processing_time is true")],
            ),
            ((90, 0, 60, 30), [("initial_duration", "must be greater than 0")]),
            ((90, 30, 30, -5), [("final_duration", "must be 0 or more")]),
            (
                (90, 10, 20, 40),
                [
                    (
                        "duration_minutes",
                        "must equal initial + processing + final duration (70), not 90",
                    )
                ],
            ),
        ],
    )
    def test_each_message_in_full(self, durations, errors):
        assert processing_time_errors(*durations) == errors

    def test_one_minute_initial_and_processing_are_valid(self):
        assert processing_time_errors(3, 1, 1, 1) == []
        assert processing_time_errors(2, 1, 1, 0) == []
