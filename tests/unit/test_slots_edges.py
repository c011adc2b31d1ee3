"""Slot finding at its edges: midnight requests, exact boundaries, seconds, far time zones,
external calendars, late working hours and the limits of the search window."""

from datetime import date, time, timedelta

import pytest

from app.scheduling.intervals import Interval
from app.scheduling.slots import (
    AlternativeReason,
    Slot,
    Unavailability,
    day_distance,
)
from tests.unit.calendars import (
    BERLIN,
    COLOUR,
    KATHMANDU,
    NEW_YORK,
    TOKYO,
    Svc,
    at,
    every_day,
    finder,
    local,
    staff,
)

OTHER_DAY = AlternativeReason.OTHER_DAY
LATER = AlternativeReason.SAME_DAY_LATER
EARLIER = AlternativeReason.SAME_DAY_EARLIER


def starts(alternatives, tz=BERLIN):
    return [(local(a.slot.start, tz), a.reason) for a in alternatives]


class TestNearestAroundMidnight:
    def test_request_just_after_midnight_is_offered_the_previous_evening(self):
        # 01:00 is 7.5 h after 17:30 the evening before but 8 h before 09:00 the same day;
        # the days after are skipped as too far, and the search must go on to the day before.
        requested = at(BERLIN, 2026, 12, 2, 1, 0)
        alternatives = finder().nearest(requested, [staff()], 2, 14)
        assert starts(alternatives) == [("12-01 17:30", OTHER_DAY), ("12-01 17:15", OTHER_DAY)]

    def test_a_start_at_the_next_midnight_ties_and_wins_as_the_later_one(self):
        # 22:00: 20:00 the same day and 00:00 the next day are both 2 h away.
        hours = every_day((time(0), time(1)), (time(9), time(20, 30)))
        requested = at(BERLIN, 2026, 12, 2, 22, 0)
        alternatives = finder().nearest(requested, [staff(hours=hours)], 1, 1)
        assert starts(alternatives) == [("12-03 00:00", OTHER_DAY)]

    def test_fully_booked_today_and_tomorrow_moves_on_past_yesterday(self):
        now = at(BERLIN, 2026, 12, 1, 10, 0)
        booked = Interval(at(BERLIN, 2026, 12, 1, 0, 0), at(BERLIN, 2026, 12, 3, 0, 0))
        requested = at(BERLIN, 2026, 12, 1, 12, 0)
        alternatives = finder(now=now).nearest(requested, [staff(booked)], 2, 14)
        assert starts(alternatives) == [("12-03 09:00", OTHER_DAY), ("12-03 09:15", OTHER_DAY)]

    def test_the_last_day_of_the_window_is_searched(self):
        requested = at(BERLIN, 2026, 12, 2, 10, 0)
        booked = Interval(at(BERLIN, 2026, 11, 1), at(BERLIN, 2026, 12, 16))
        alternatives = finder().nearest(requested, [staff(booked)], 1, 14)
        assert starts(alternatives) == [("12-16 09:00", OTHER_DAY)]


class TestExactBoundaries:
    def test_a_start_exactly_at_now_plus_minimum_notice_is_bookable(self):
        earliest = at(BERLIN, 2026, 12, 1, 10, 0)
        f = finder(now=at(BERLIN, 2026, 12, 1, 8, 0), earliest=earliest)
        assert f.unavailability(staff(), earliest) is None
        assert f.unavailability(staff(), earliest - timedelta(minutes=15)) == "too_short_notice"
        first = next(f.free_starts(staff(), earliest.date()))
        assert first.start == earliest

    def test_a_start_exactly_now_is_not_in_the_past(self):
        now = at(BERLIN, 2026, 12, 1, 10, 0)
        assert finder(now=now).unavailability(staff(), now) is None

    def test_an_appointment_may_start_exactly_when_work_starts(self):
        start = at(BERLIN, 2026, 12, 1, 9, 0)
        assert finder().unavailability(staff(), start) is None

    def test_starts_before_the_earliest_do_not_end_the_day(self):
        f = finder(earliest=at(BERLIN, 2026, 12, 1, 10, 0))
        day = [s.start for s in f.free_starts(staff(), date(2026, 12, 1))]
        assert (local(day[0]), local(day[-1]), len(day)) == ("12-01 10:00", "12-01 17:30", 31)

    @pytest.mark.parametrize(
        "requested",
        [at(BERLIN, 2026, 12, 1, 11, 0, 30), at(BERLIN, 2026, 12, 1, 11, 0, 0, 1)],
        ids=["seconds", "microseconds"],
    )
    def test_a_start_between_whole_minutes_is_off_the_grid(self, requested):
        f = finder()
        assert f.input_error(requested) is Unavailability.OFF_GRID
        assert f.unavailability(staff(), requested) is Unavailability.OFF_GRID


class TestFarFromUtc:
    """Berlin in daytime has the same local and UTC date; these zones do not."""

    def test_tokyo_at_eight_is_inside_working_hours(self):
        # 08:00 in Tokyo is 23:00 UTC of the day before.
        hours = every_day((time(8), time(18)))
        f = finder(tz=TOKYO, now=at(TOKYO, 2026, 12, 1, 6, 0))
        assert f.unavailability(staff(hours=hours), at(TOKYO, 2026, 12, 1, 8, 0)) is None

    def test_tokyo_alternatives_belong_to_the_local_day(self):
        # 08:15 is on the UTC day before, 10:00 on the same UTC day: both are the local day.
        hours = every_day((time(8), time(18)))
        busy = Interval(at(TOKYO, 2026, 12, 1, 8, 45), at(TOKYO, 2026, 12, 1, 10, 0))
        f = finder(tz=TOKYO, now=at(TOKYO, 2026, 12, 1, 6, 0))
        requested = at(TOKYO, 2026, 12, 1, 8, 0)
        alternatives = f.nearest(requested, [staff(busy, hours=hours)], 2, 0)
        assert starts(alternatives, TOKYO) == [("12-01 08:15", LATER), ("12-01 10:00", LATER)]

    def test_tokyo_next_morning_beats_the_same_evening(self):
        # 23:30 in Tokyo: 00:00 the next day is 30 min away, 21:30 the same day two hours.
        hours = every_day((time(0), time(23, 59)))
        busy = Interval(at(TOKYO, 2026, 12, 1, 22, 0), at(TOKYO, 2026, 12, 2, 0, 0))
        f = finder(tz=TOKYO, now=at(TOKYO, 2026, 11, 30, 6, 0))
        requested = at(TOKYO, 2026, 12, 1, 23, 30)
        alternatives = f.nearest(requested, [staff(busy, hours=hours)], 1, 1)
        assert starts(alternatives, TOKYO) == [("12-02 00:00", OTHER_DAY)]

    def test_new_york_evening_after_midnight_utc(self):
        # 19:00 in New York is midnight UTC: the local day is not over.
        hours = every_day((time(9), time(22)))
        now = at(NEW_YORK, 2026, 12, 1, 19, 0)
        f = finder(tz=NEW_YORK, now=now)
        requested = at(NEW_YORK, 2026, 12, 1, 20, 0)
        alternatives = f.nearest(requested, [staff(hours=hours)], 2, 1)
        assert starts(alternatives, NEW_YORK) == [("12-01 20:15", LATER), ("12-01 19:45", EARLIER)]

    def test_new_york_grid_starts_at_local_opening(self):
        hours = every_day((time(9), time(18)))
        f = finder(tz=NEW_YORK, now=at(NEW_YORK, 2026, 11, 30, 6, 0))
        day = [s.start for s in f.free_starts(staff(hours=hours), date(2026, 12, 1))]
        assert (local(day[0], NEW_YORK), local(day[-1], NEW_YORK)) == ("12-01 09:00", "12-01 17:30")

    def test_grid_is_local_in_a_zone_a_quarter_hour_off_utc(self):
        # Kathmandu is UTC+5:45: 10:00 there is 04:15 UTC, on the local half-hour grid.
        hours = every_day((time(9), time(18)))
        f = finder(tz=KATHMANDU, grid=30, now=at(KATHMANDU, 2026, 12, 1, 6, 0))
        assert f.unavailability(staff(hours=hours), at(KATHMANDU, 2026, 12, 1, 10, 0)) is None
        assert f.input_error(at(KATHMANDU, 2026, 12, 1, 10, 15)) is Unavailability.OFF_GRID


class TestExternalCalendar:
    DAY = date(2026, 12, 1)
    TEN, ELEVEN = at(BERLIN, 2026, 12, 1, 10, 0), at(BERLIN, 2026, 12, 1, 11, 0)

    def test_only_starts_the_external_calendar_offers_are_free(self):
        f = finder(external={self.DAY: {self.TEN, self.ELEVEN}})
        assert [s.start for s in f.free_starts(staff(), self.DAY)] == [self.TEN, self.ELEVEN]
        assert f.unavailability(staff(), self.TEN) is None
        assert f.unavailability(staff(), self.TEN + timedelta(minutes=15)) is Unavailability.TAKEN

    def test_a_day_the_external_calendar_did_not_answer_is_taken(self):
        f = finder(external={date(2026, 12, 2): {self.TEN + timedelta(days=1)}})
        assert list(f.free_starts(staff(), self.DAY)) == []
        assert f.unavailability(staff(), self.TEN) is Unavailability.TAKEN

    def test_the_local_calendar_still_counts(self):
        busy = Interval(self.TEN, self.ELEVEN)
        f = finder(external={self.DAY: {self.TEN, self.ELEVEN}})
        assert [s.start for s in f.free_starts(staff(busy), self.DAY)] == [self.ELEVEN]


class TestFreeStarts:
    def test_a_slot_names_its_end_and_staff(self):
        f = finder()
        slot = next(f.free_starts(staff(staff_id=7, name="Ben"), date(2026, 12, 1)))
        start = at(BERLIN, 2026, 12, 1, 9, 0)
        assert slot == Slot(start, start + timedelta(minutes=30), 7, "Ben")

    def test_a_split_service_fits_around_a_cut_in_its_processing_time(self):
        cut = Interval(at(BERLIN, 2026, 12, 1, 10, 30), at(BERLIN, 2026, 12, 1, 11, 0))
        colour_at_ten = at(BERLIN, 2026, 12, 1, 10, 0)
        split = [s.start for s in finder(COLOUR).free_starts(staff(cut), date(2026, 12, 1))]
        whole = finder(COLOUR, split=False).free_starts(staff(cut), date(2026, 12, 1))
        assert colour_at_ten in split
        assert colour_at_ten not in [s.start for s in whole]

    def test_hours_until_just_before_midnight(self):
        hours = every_day((time(20), time(23, 59)))
        day = list(finder(Svc(10)).free_starts(staff(hours=hours), date(2026, 12, 1)))
        assert (local(day[0].start), local(day[-1].start), len(day)) == (
            "12-01 20:00",
            "12-01 23:45",
            16,
        )

    def test_a_day_without_working_hours_has_nothing(self):
        tuesday_off = {d: r for d, r in every_day((time(9), time(18))).items() if d != 1}
        f = finder()
        assert list(f.free_starts(staff(hours=tuesday_off), date(2026, 12, 1))) == []
        assert f.unavailability(staff(hours=tuesday_off), at(BERLIN, 2026, 12, 1, 10, 0)) == (
            Unavailability.OUTSIDE_WORKING_HOURS
        )

    @pytest.mark.parametrize(
        "hours", [(time(1), time(2, 30)), (time(2, 30), time(5))], ids=["ends", "starts"]
    )
    def test_hours_starting_or_ending_in_the_skipped_hour_never_offer_it(self, hours):
        # 2026-03-29: Berlin's clocks jump from 02:00 to 03:00.
        f = finder(Svc(15), now=at(BERLIN, 2026, 3, 28, 12, 0))
        sunday = staff(hours={6: [hours]})
        offered = [local(s.start) for s in f.free_starts(sunday, date(2026, 3, 29))]
        assert not [t for t in offered if t.startswith("03-29 02:")]
        assert f.unavailability(sunday, at(BERLIN, 2026, 3, 29, 1, 0)) in (
            None,
            Unavailability.OUTSIDE_WORKING_HOURS,
        )


class TestAnchorAndExclude:
    NOW = at(BERLIN, 2026, 12, 1, 8, 0)
    EARLIEST = at(BERLIN, 2026, 12, 1, 10, 0)

    def test_a_past_request_is_ranked_from_the_earliest_bookable_time(self):
        f = finder(now=self.NOW, earliest=self.EARLIEST)
        assert f.anchor_for(self.NOW - timedelta(minutes=1)) == self.EARLIEST
        assert f.anchor_for(self.NOW) == self.NOW
        assert f.anchor_for(self.EARLIEST + timedelta(hours=1)) == self.EARLIEST + timedelta(
            hours=1
        )

    def test_the_earliest_time_itself_is_offered_for_a_past_request(self):
        f = finder(now=self.NOW, earliest=self.EARLIEST)
        past = self.NOW - timedelta(days=1)
        alternatives = f.nearest(f.anchor_for(past), [staff()], 2, 14, exclude=past)
        assert starts(alternatives) == [("12-01 10:00", LATER), ("12-01 10:15", LATER)]


class TestDayDistance:
    DAY = date(2026, 12, 1)

    @pytest.mark.parametrize(
        ("requested", "distance"),
        [
            (at(BERLIN, 2026, 11, 30, 22, 0), timedelta(hours=2)),
            (at(BERLIN, 2026, 12, 1, 0, 0), timedelta(0)),
            (at(BERLIN, 2026, 12, 1, 13, 0), timedelta(0)),
            (at(BERLIN, 2026, 12, 2, 0, 0), timedelta(0)),
            (at(BERLIN, 2026, 12, 2, 3, 0), timedelta(hours=3)),
        ],
    )
    def test_smallest_distance_to_any_instant_of_the_local_day(self, requested, distance):
        assert day_distance(self.DAY, requested, BERLIN) == distance

    def test_measured_in_the_local_day_far_from_utc(self):
        # The Tokyo day of 2 December begins at 15:00 UTC on 1 December.
        requested = at(TOKYO, 2026, 12, 1, 23, 0)
        assert day_distance(date(2026, 12, 2), requested, TOKYO) == timedelta(hours=1)
