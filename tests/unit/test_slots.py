"""Slot finding: busy timelines, split appointments, grid, DST days and alternative ranking."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.scheduling.intervals import BusyTimeline, Interval
from app.scheduling.phases import staff_busy_intervals
from app.scheduling.slots import SlotFinder, StaffCalendar, Unavailability

BERLIN = ZoneInfo("Europe/Berlin")
ALL_WEEK = {day: [(time(9), time(18))] for day in range(7)}


@dataclass
class Svc:
    duration_minutes: int
    has_processing_time: bool = False
    initial_duration: int | None = None
    processing_duration: int | None = None
    final_duration: int | None = None
    id: int = 1
    company_id: int = 1


CUT = Svc(30)
COLOUR = Svc(90, True, 30, 30, 30)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def finder(service: Svc, now: datetime, split: bool = True) -> SlotFinder:
    return SlotFinder(service, split, BERLIN, 15, now, now)


def calendar(*busy: Interval, hours=ALL_WEEK) -> StaffCalendar:
    return StaffCalendar(1, "Anna", hours, BusyTimeline(busy))


def colour_busy(start: datetime) -> list[Interval]:
    return staff_busy_intervals(COLOUR, start, split=True)


NOW = berlin(2026, 12, 1, 6, 0)


class TestBusyTimeline:
    def test_touching_intervals_do_not_overlap(self):
        timeline = BusyTimeline([Interval(berlin(2026, 12, 1, 10, 0), berlin(2026, 12, 1, 11, 0))])
        assert timeline.is_free(Interval(berlin(2026, 12, 1, 9, 30), berlin(2026, 12, 1, 10, 0)))
        assert timeline.is_free(Interval(berlin(2026, 12, 1, 11, 0), berlin(2026, 12, 1, 11, 30)))
        assert not timeline.is_free(
            Interval(berlin(2026, 12, 1, 10, 45), berlin(2026, 12, 1, 11, 15))
        )

    def test_overlapping_busy_intervals_are_merged(self):
        a = Interval(berlin(2026, 12, 1, 10), berlin(2026, 12, 1, 11))
        b = Interval(berlin(2026, 12, 1, 10, 30), berlin(2026, 12, 1, 12))
        timeline = BusyTimeline([b, a])
        assert len(timeline) == 1
        assert not timeline.is_free(
            Interval(berlin(2026, 12, 1, 11, 30), berlin(2026, 12, 1, 11, 45))
        )


class TestProcessingTime:
    def test_cut_fits_inside_a_colours_processing_phase(self):
        staff = calendar(*colour_busy(berlin(2026, 12, 1, 10, 0)))
        assert finder(CUT, NOW).unavailability(staff, berlin(2026, 12, 1, 10, 30)) is None

    def test_cut_overlapping_the_initial_phase_is_taken(self):
        staff = calendar(*colour_busy(berlin(2026, 12, 1, 10, 0)))
        assert (
            finder(CUT, NOW).unavailability(staff, berlin(2026, 12, 1, 10, 15))
            is Unavailability.TAKEN
        )

    def test_second_colour_whose_initial_overlaps_anothers_final_is_refused(self):
        staff = calendar(*colour_busy(berlin(2026, 12, 1, 10, 0)))
        # Its initial phase (11:00-11:30) would overlap the first colour's final (11:00-11:30).
        assert (
            finder(COLOUR, NOW).unavailability(staff, berlin(2026, 12, 1, 11, 0))
            is Unavailability.TAKEN
        )

    def test_second_colour_whose_initial_lies_in_anothers_processing_fits(self):
        staff = calendar(*colour_busy(berlin(2026, 12, 1, 10, 0)))
        # initial 10:30-11:00 (first colour processing), processing 11:00-11:30, final 11:30-12:00
        assert finder(COLOUR, NOW).unavailability(staff, berlin(2026, 12, 1, 10, 30)) is None

    def test_without_split_the_whole_colour_blocks(self):
        busy = staff_busy_intervals(COLOUR, berlin(2026, 12, 1, 10, 0), split=False)
        staff = calendar(*busy)
        assert (
            finder(CUT, NOW).unavailability(staff, berlin(2026, 12, 1, 10, 30))
            is Unavailability.TAKEN
        )


class TestRules:
    def test_reasons_for_unavailability(self):
        f = SlotFinder(CUT, False, BERLIN, 15, earliest=berlin(2026, 12, 1, 10, 0), now=NOW)
        staff = calendar()
        assert f.unavailability(staff, berlin(2026, 12, 1, 5, 0)) is Unavailability.IN_THE_PAST
        assert (
            f.unavailability(staff, berlin(2026, 12, 1, 9, 30)) is Unavailability.TOO_SHORT_NOTICE
        )
        assert f.unavailability(staff, berlin(2026, 12, 1, 10, 10)) is Unavailability.OFF_GRID
        assert (
            f.unavailability(staff, berlin(2026, 12, 1, 17, 45))
            is Unavailability.OUTSIDE_WORKING_HOURS
        )
        assert f.unavailability(staff, berlin(2026, 12, 1, 17, 30)) is None

    def test_appointment_may_not_span_a_lunch_break(self):
        split_day = {1: [(time(9), time(12)), (time(13), time(18))]}
        staff = calendar(hours=split_day)
        starts = [
            s.start for s in finder(Svc(60), NOW).free_starts(staff, berlin(2026, 12, 1, 12).date())
        ]
        assert berlin(2026, 12, 1, 11, 0) in starts
        assert berlin(2026, 12, 1, 11, 15) not in starts
        assert berlin(2026, 12, 1, 13, 0) in starts


class TestDaylightSaving:
    def test_spring_forward_day_keeps_wall_clock_grid(self):
        # 2026-03-29: clocks jump from 02:00 to 03:00 in Berlin.
        now = berlin(2026, 3, 28, 12, 0)
        starts = [
            s.start
            for s in finder(Svc(60), now).free_starts(calendar(), berlin(2026, 3, 29, 12).date())
        ]
        local = [s.astimezone(BERLIN).strftime("%H:%M") for s in starts]
        assert local[0] == "09:00" and local[-1] == "17:00"
        assert len(starts) == 33  # 09:00..17:00 every 15 minutes
        assert starts[0] == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # CEST, UTC+2

    def test_fall_back_day_keeps_wall_clock_grid(self):
        # 2026-10-25: clocks go back from 03:00 to 02:00.
        now = berlin(2026, 10, 24, 12, 0)
        starts = [
            s.start
            for s in finder(Svc(60), now).free_starts(calendar(), berlin(2026, 10, 25, 12).date())
        ]
        assert len(starts) == 33
        assert starts[0] == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # CET, UTC+1

    def test_day_before_the_change_uses_the_old_offset(self):
        now = berlin(2026, 10, 23, 12, 0)
        starts = [
            s.start
            for s in finder(Svc(60), now).free_starts(calendar(), berlin(2026, 10, 24, 12).date())
        ]
        assert starts[0] == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)

    def test_night_hours_across_the_skipped_hour_never_offer_a_missing_time(self):
        night = {6: [(time(1), time(4))]}  # Sunday 01:00-04:00 wall clock
        now = berlin(2026, 3, 28, 12, 0)
        starts = finder(Svc(30), now).free_starts(
            calendar(hours=night), berlin(2026, 3, 29, 12).date()
        )
        local = [s.start.astimezone(BERLIN).strftime("%H:%M") for s in starts]
        assert not any(t.startswith("02:") for t in local)
        assert "01:30" in local and "03:00" in local


class TestNearest:
    def test_ranked_by_distance_and_later_first_on_a_tie(self):
        requested = berlin(2026, 12, 1, 12, 0)
        busy = Interval(berlin(2026, 12, 1, 11, 30), berlin(2026, 12, 1, 12, 30))
        alternatives = finder(CUT, NOW).nearest(requested, [calendar(busy)], 4, 14)
        local = [a.slot.start.astimezone(BERLIN).strftime("%H:%M") for a in alternatives]
        # 13:00 and 11:00 are both 60 min away: the later one comes first.
        assert local == ["12:30", "12:45", "13:00", "11:00"]
        assert alternatives[-1].reason == "same_day_earlier"
        assert alternatives[0].reason == "same_day_later"

    def test_requested_start_is_never_offered(self):
        requested = berlin(2026, 12, 1, 12, 0)
        alternatives = finder(CUT, NOW).nearest(requested, [calendar()], 2, 14)
        assert requested not in [a.slot.start for a in alternatives]

    def test_full_day_moves_to_other_days(self):
        requested = berlin(2026, 12, 2, 10, 0)
        whole_day = Interval(berlin(2026, 12, 2, 0, 0), berlin(2026, 12, 3, 0, 0))
        alternatives = finder(CUT, NOW).nearest(requested, [calendar(whole_day)], 2, 14)
        assert [a.reason for a in alternatives] == ["other_day", "other_day"]
        # 17:30 the day before is 16.5 h away; 09:00 the day after is 23 h away.
        assert alternatives[0].slot.start == berlin(2026, 12, 1, 17, 30)

    def test_nothing_free_in_the_window_gives_nothing(self):
        requested = berlin(2026, 12, 2, 10, 0)
        blocked = Interval(berlin(2026, 11, 1), berlin(2027, 1, 31))
        assert finder(CUT, NOW).nearest(requested, [calendar(blocked)], 2, 14) == []

    def test_window_is_bounded(self):
        requested = berlin(2026, 12, 2, 10, 0)
        blocked = Interval(berlin(2026, 11, 1), requested + timedelta(days=15))
        assert finder(CUT, NOW).nearest(requested, [calendar(blocked)], 2, 14) == []
