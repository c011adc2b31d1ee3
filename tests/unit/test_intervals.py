"""Half-open intervals and the busy timeline, against a plain pairwise overlap check."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.scheduling.intervals import BusyTimeline, Interval
from tests.unit.calendars import PROPERTY

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def span(start: int, minutes: int) -> Interval:
    return Interval(T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + minutes))


def test_an_interval_contains_one_with_the_same_bounds():
    assert span(0, 60).contains(span(0, 60))
    assert span(0, 60).contains(span(0, 15)) and span(0, 60).contains(span(45, 15))
    assert not span(0, 60).contains(span(-1, 15)) and not span(0, 60).contains(span(50, 15))


def test_touching_busy_intervals_merge_into_one():
    assert len(BusyTimeline([span(0, 60), span(60, 30)])) == 1
    assert len(BusyTimeline([span(0, 60), span(61, 30)])) == 2
    assert len(BusyTimeline([span(0, 60), span(10, 20), span(0, 60)])) == 1


spans = st.builds(span, st.integers(0, 600), st.integers(1, 120))


@PROPERTY
@given(busy=st.lists(spans, max_size=12), query=spans)
def test_is_free_exactly_when_no_busy_interval_overlaps(busy, query):
    naive = not any(b.start < query.end and query.start < b.end for b in busy)
    timeline = BusyTimeline(busy)
    assert timeline.is_free(query) == naive
    assert timeline.all_free([query, query]) == naive
