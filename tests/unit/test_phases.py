"""Phase planning and the processing-time rollout stages (DESIGN §5.1)."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.config import FeatureFlags
from app.scheduling.phases import (
    is_split,
    plan_phases,
    processing_time_errors,
    staff_busy_intervals,
)

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class FakeService:
    id: int = 7
    company_id: int = 3
    duration_minutes: int = 90
    has_processing_time: bool = True
    initial_duration: int | None = 30
    processing_duration: int | None = 30
    final_duration: int | None = 30


class TestPlanPhases:
    def test_colour_gets_three_phases_with_offsets_and_times(self):
        phases = plan_phases(FakeService(), START)
        assert [
            (p.phase_type, p.start_offset_minutes, p.duration_minutes, p.staff_required)
            for p in phases
        ] == [
            ("initial", 0, 30, True),
            ("processing", 30, 30, False),
            ("final", 60, 30, True),
        ]
        assert phases[1].starts_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        assert phases[2].ends_at == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)

    def test_zero_final_phase_is_left_out(self):
        phases = plan_phases(FakeService(duration_minutes=60, final_duration=0), START)
        assert [p.phase_type for p in phases] == ["initial", "processing"]

    def test_split_service_blocks_staff_only_in_staff_required_phases(self):
        busy = staff_busy_intervals(FakeService(), START, split=True)
        assert [(b.start.hour, b.start.minute, b.end.hour, b.end.minute) for b in busy] == [
            (9, 0, 9, 30),
            (10, 0, 10, 30),
        ]

    def test_unsplit_service_blocks_the_whole_appointment(self):
        busy = staff_busy_intervals(FakeService(), START, split=False)
        assert len(busy) == 1 and busy[0].end == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


class TestProcessingTimeValidation:
    def test_valid_durations_have_no_errors(self):
        assert processing_time_errors(90, 30, 30, 30) == []
        assert processing_time_errors(60, 30, 30, 0) == []

    @pytest.mark.parametrize(
        ("durations", "field"),
        [
            ((90, 0, 60, 30), "initial_duration"),
            ((90, 30, 0, 60), "processing_duration"),
            ((90, 30, 30, -5), "final_duration"),
            ((90, 30, 30, 20), "duration_minutes"),
            ((90, None, 30, 30), "initial_duration"),
        ],
    )
    def test_each_broken_rule_names_its_field(self, durations, field):
        assert [f for f, _ in processing_time_errors(*durations)] == [field]


class TestRolloutStages:
    def test_everything_off_means_no_split(self):
        assert not is_split(FakeService(), FeatureFlags())

    def test_stage_1_whitelisted_service_with_master_off(self):
        flags = FeatureFlags(processing_time_service_whitelist=frozenset({7}))
        assert is_split(FakeService(id=7), flags)
        assert not is_split(FakeService(id=8), flags)

    def test_stage_2_master_on_with_company_whitelist(self):
        flags = FeatureFlags(
            processing_time_enabled=True, processing_time_company_whitelist=frozenset({3})
        )
        assert is_split(FakeService(company_id=3), flags)
        assert not is_split(FakeService(company_id=4), flags)

    def test_stage_3_master_on_for_everyone(self):
        flags = FeatureFlags(processing_time_enabled=True)
        assert is_split(FakeService(company_id=99), flags)

    def test_service_without_processing_time_is_never_split(self):
        flags = FeatureFlags(
            processing_time_enabled=True, processing_time_service_whitelist=frozenset({7})
        )
        assert not is_split(FakeService(has_processing_time=False), flags)

    def test_whitelists_parse_from_comma_separated_env(self, monkeypatch):
        monkeypatch.setenv("FEATURE_PROCESSING_TIME_SERVICE_WHITELIST", "4, 7,")
        monkeypatch.setenv("FEATURE_PROCESSING_TIME_ENABLED", "true")
        flags = FeatureFlags(_env_file=None)
        assert flags.processing_time_service_whitelist == frozenset({4, 7})
        assert flags.processing_time_enabled
