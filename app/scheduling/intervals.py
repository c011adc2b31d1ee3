"""Pure half-open interval algebra over datetimes, used by availability and booking checks."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


class BusyTimeline:
    """Merged, sorted busy intervals of one staff member with O(log n) overlap queries."""

    __slots__ = ("_starts", "_ends")

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: list[Interval] = []
        for interval in sorted(intervals):
            if merged and interval.start <= merged[-1].end:
                if interval.end > merged[-1].end:
                    merged[-1] = Interval(merged[-1].start, interval.end)
            else:
                merged.append(interval)
        self._starts = [i.start for i in merged]
        self._ends = [i.end for i in merged]

    def is_free(self, interval: Interval) -> bool:
        # The only merged interval that can overlap is the last one starting before our end.
        index = bisect_left(self._starts, interval.end) - 1
        return index < 0 or self._ends[index] <= interval.start

    def all_free(self, intervals: Iterable[Interval]) -> bool:
        return all(self.is_free(interval) for interval in intervals)

    def __len__(self) -> int:
        return len(self._starts)
