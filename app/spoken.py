"""Dates and times as people say them, in German and English: pure, shared by the voice
agent (answers read aloud) and the notifications (messages sent).

    speak_datetime(datetime(2026, 12, 8, 14, 30), "de") -> "Dienstag, 8. Dezember um 14:30 Uhr"
    speak_datetime(datetime(2026, 12, 8, 14, 30), "en") -> "Tuesday 8 December at 2:30 pm"
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as WallTime
from typing import Literal

Lang = Literal["de", "en"]


WEEKDAY_NAMES = {
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTH_NAMES = {
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def checked_language(lang: str) -> Lang:
    if lang not in ("de", "en"):
        raise ValueError(f"unsupported language {lang!r}")
    return lang  # type: ignore[return-value]


def speak_date(day: date, lang: Lang, *, today: date | None = None) -> str:
    """ "Dienstag, 8. Dezember" / "Tuesday 8 December" (+ the year if not today's year)."""
    lang = checked_language(lang)
    weekday = WEEKDAY_NAMES[lang][day.weekday()]
    month = MONTH_NAMES[lang][day.month - 1]
    spoken = f"{weekday}, {day.day}. {month}" if lang == "de" else f"{weekday} {day.day} {month}"
    if today is not None and today.year != day.year:
        spoken += f" {day.year}"
    return spoken


def speak_time(wall: WallTime, lang: Lang) -> str:
    """ "14:30 Uhr", "14 Uhr" / "2:30 pm", "2 pm", "12 noon", "12 midnight"."""
    lang = checked_language(lang)
    hour, minute = wall.hour, wall.minute
    if lang == "de":
        return f"{hour}:{minute:02d} Uhr" if minute else f"{hour} Uhr"
    if minute == 0 and hour in (0, 12):
        return "12 noon" if hour == 12 else "12 midnight"
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour % 12 or 12
    return f"{hour12}:{minute:02d} {suffix}" if minute else f"{hour12} {suffix}"


def speak_datetime(dt: datetime, lang: Lang, *, today: date | None = None) -> str:
    """ "Dienstag, 8. Dezember um 14:30 Uhr" / "Tuesday 8 December at 2:30 pm"."""
    joiner = " um " if checked_language(lang) == "de" else " at "
    return speak_date(dt.date(), lang, today=today) + joiner + speak_time(dt.time(), lang)
