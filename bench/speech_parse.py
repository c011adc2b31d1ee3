"""Spoken date/time parsing: the hand-written grammar against dateparser on the issue's list.

    python -m bench.speech_parse [--rounds N]

`measure()` needs no database and no server: it parses every phrase of the issue's list (with
a fixed now, Monday 2026-12-07 10:00 in Berlin) and reports, for each parser, how many cases
it gets right and the mean microseconds per parse. dateparser is not a dependency; when it
is not installed its entry is None.

What counts as right, per case kind:
* "start": the exact start (a time alone: only its hour and minute, so dateparser is not
  penalised for the next-occurrence rule the caller could apply on top);
* "day": the calendar day;
* "window": the day and the part of day (dateparser has no parts of day);
* "needs": nothing understood (dateparser: None, or a day before today for a past date).
"""

from __future__ import annotations

import argparse
import json
import time as clock
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.voice.speech import Understanding, understand

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=ZONE)  # a Monday

# (field, text, kind, expected); field: date | time | datetime_text.
CASES: list[tuple[str, str, str, str]] = [
    # Dates
    ("date", "2026-12-09", "day", "2026-12-09"),
    ("date", "heute", "day", "2026-12-07"),
    ("date", "today", "day", "2026-12-07"),
    ("date", "morgen", "day", "2026-12-08"),
    ("date", "tomorrow", "day", "2026-12-08"),
    ("date", "übermorgen", "day", "2026-12-09"),
    ("date", "the day after tomorrow", "day", "2026-12-09"),
    ("date", "Dienstag", "day", "2026-12-08"),
    ("date", "am Dienstag", "day", "2026-12-08"),
    ("date", "nächsten Dienstag", "day", "2026-12-08"),
    ("date", "kommenden Dienstag", "day", "2026-12-08"),
    ("date", "Tuesday", "day", "2026-12-08"),
    ("date", "next Tuesday", "day", "2026-12-08"),
    ("date", "nächste Woche Dienstag", "day", "2026-12-15"),
    ("date", "Dienstag nächste Woche", "day", "2026-12-15"),
    ("date", "Tuesday next week", "day", "2026-12-15"),
    ("date", "8. Dezember", "day", "2026-12-08"),
    ("date", "am 8.12.", "day", "2026-12-08"),
    ("date", "8.12", "day", "2026-12-08"),
    ("date", "December 8", "day", "2026-12-08"),
    ("date", "8 December", "day", "2026-12-08"),
    ("date", "6. Dezember", "day", "2027-12-06"),
    ("date", "December 6", "day", "2027-12-06"),
    ("date", "07.12.2027", "day", "2027-12-07"),
    # Times
    ("time", "14 Uhr", "start", "2026-12-07T14:00"),
    ("time", "14:30", "start", "2026-12-07T14:30"),
    ("time", "14.30", "start", "2026-12-07T14:30"),
    ("time", "14 Uhr 30", "start", "2026-12-07T14:30"),
    ("time", "um 9", "start", "2026-12-08T09:00"),
    ("time", "halb drei", "start", "2026-12-07T14:30"),
    ("time", "viertel nach zwei", "start", "2026-12-07T14:15"),
    ("time", "viertel vor drei", "start", "2026-12-07T14:45"),
    ("time", "drei viertel drei", "start", "2026-12-07T14:45"),
    ("time", "zehn Uhr", "start", "2026-12-08T10:00"),
    ("time", "2 pm", "start", "2026-12-07T14:00"),
    ("time", "2:30 pm", "start", "2026-12-07T14:30"),
    ("time", "half past two", "start", "2026-12-07T14:30"),
    ("time", "quarter past two", "start", "2026-12-07T14:15"),
    ("time", "quarter to three", "start", "2026-12-07T14:45"),
    ("time", "noon", "start", "2026-12-07T12:00"),
    # Parts of day
    ("time", "vormittags", "window", "2026-12-07 morning"),
    ("time", "morning", "window", "2026-12-07 morning"),
    ("time", "mittags", "window", "2026-12-07 noon"),
    ("time", "nachmittags", "window", "2026-12-07 afternoon"),
    ("time", "afternoon", "window", "2026-12-07 afternoon"),
    ("time", "abends", "window", "2026-12-07 evening"),
    ("time", "evening", "window", "2026-12-07 evening"),
    # Both in one field
    ("datetime_text", "morgen um 14 Uhr", "start", "2026-12-08T14:00"),
    ("datetime_text", "Dienstag, 8. Dezember um 14:30 Uhr", "start", "2026-12-08T14:30"),
    ("datetime_text", "Tuesday 8 December at 2:30 pm", "start", "2026-12-08T14:30"),
    ("datetime_text", "nächste Woche Dienstag um halb drei", "start", "2026-12-15T14:30"),
    ("datetime_text", "2026-12-08T14:30:00+01:00", "start", "2026-12-08T14:30"),
    # Ask, never guess
    ("date", "irgendwann mal", "needs", "date"),
    ("date", "07.12.2025", "needs", "date"),
    ("date", "31.02.", "needs", "date"),
    ("time", "quatsch", "needs", "time"),
]


def _summary(u: Understanding) -> tuple[str, str]:
    if u.needs is not None:
        return "needs", u.needs
    if u.start is not None:
        return "start", u.start.strftime("%Y-%m-%dT%H:%M")
    if u.window is not None:
        return "window", f"{u.day} {u.window.name}"
    return "day", str(u.day)


def _grammar_right(field: str, text: str, kind: str, expected: str) -> bool:
    return _summary(understand(**{field: text}, now=NOW)) == (kind, expected)  # type: ignore[arg-type]


def _dateparser_right(result: datetime | None, field: str, kind: str, expected: str) -> bool:
    if kind == "needs":
        return result is None or result.date() < NOW.date()
    if result is None or kind == "window":
        return False
    if kind == "day":
        return result.date() == date.fromisoformat(expected)
    if field == "time":
        return result.strftime("%H:%M") == expected[-5:]
    return result.strftime("%Y-%m-%dT%H:%M") == expected


def _time_per_parse(parse: Callable[[Any], object], items: Sequence[Any], rounds: int) -> float:
    started = clock.perf_counter()
    for _ in range(rounds):
        for item in items:
            parse(item)
    return (clock.perf_counter() - started) / (rounds * len(items)) * 1e6


def measure(rounds: int = 200, dateparser_rounds: int = 3) -> dict:
    """Cases covered and mean µs per parse, for the grammar and (if installed) dateparser."""
    grammar_missed = [
        text for field, text, kind, exp in CASES if not _grammar_right(field, text, kind, exp)
    ]
    grammar_us = _time_per_parse(
        lambda case: understand(**{case[0]: case[1]}, now=NOW), CASES, rounds
    )
    report: dict = {
        "cases": len(CASES),
        "grammar": {
            "covered": len(CASES) - len(grammar_missed),
            "us_per_parse": round(grammar_us, 1),
            "missed": grammar_missed,
        },
        "dateparser": None,
    }
    try:
        import dateparser  # not a dependency: installed ad hoc for this comparison
        from dateparser.date import DateDataParser
    except ImportError:
        return report
    parser = DateDataParser(
        languages=["de", "en"],
        settings={
            "RELATIVE_BASE": NOW.replace(tzinfo=None),
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
        },
    )

    def parse(text: str) -> datetime | None:
        return parser.get_date_data(text).date_obj

    parse("warm up")
    missed = [
        text
        for field, text, kind, expected in CASES
        if not _dateparser_right(parse(text), field, kind, expected)
    ]
    report["dateparser"] = {
        "version": dateparser.__version__,
        "covered": len(CASES) - len(missed),
        "us_per_parse": round(_time_per_parse(parse, [c[1] for c in CASES], dateparser_rounds), 1),
        "missed": missed,
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(measure(args.rounds), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
