"""Spoken dates and times for the voice agent: understand what the caller said, speak answers.

Pure code: stdlib only, no I/O, no database. German and English in any field, whatever the
company's language is. "now" is the server clock in the branch's time zone; its ``tzinfo`` is
the zone every answer is given in.

Parsing
-------
``understand(*, date=None, time=None, datetime_text=None, now) -> Understanding``
    The one entry point. Each argument is what the agent passed (any may hold a date, a time
    or both: "morgen um 14 Uhr" in ``date`` is fine, so is an ISO datetime with or without
    offset). The result is one of:

    * ``start`` set: an exact local start was understood (``day`` and ``time`` set).
    * ``span`` set, ``start`` None: search the earliest free starts inside ``span`` -- the
      part-of-day ``window`` on ``day``, or the whole ``day`` when only a date was said.
      ``span`` is *not* clipped to ``now``; the slot finder drops past starts.
    * ``needs`` set ("date" or "time"), ``start`` and ``span`` None: ask the caller; ``reason``
      says why ("missing", "unparseable", "impossible", "past", "conflict", "nonexistent").
      Whatever was understood (``day``, ``time``, ``window``) is kept for the question.

    ``Understanding.requested_start`` is ``start`` or ``span[0]``: what was understood, for
    ``data.requested_start`` (``.isoformat()`` carries the offset).

``local_datetime(day, wall, tz) -> datetime``
    An aware datetime for a local wall time on a local day, correct across DST. A wall time
    in the repeated hour of a fall-back day is its *first* occurrence (fold=0, summer offset).
    A wall time in the skipped hour of a spring-forward day does not exist: it raises
    ``NonexistentTimeError`` (a ``ValueError``); ``understand`` then answers
    ``needs="time", reason="nonexistent"`` instead of shifting it to a time nobody said.

Speaking (``lang`` is "de" or "en")
-----------------------------------
``speak_date(day, lang, *, today=None)``  "Dienstag, 8. Dezember" / "Tuesday 8 December"
    (the year is added when ``today`` is given and the year differs).
``speak_time(wall, lang)``  "14:30 Uhr", "14 Uhr" / "2:30 pm", "2 pm", "12 noon", "12 midnight".
``speak_datetime(dt, lang, *, today=None)``  "Dienstag, 8. Dezember um 14:30 Uhr" /
    "Tuesday 8 December at 2:30 pm"; the wall clock of ``dt`` as given (pass it in the zone).
``speak_window(window, lang)``  "nachmittags" / "in the afternoon".
``speak_alternatives(starts, lang, *, today=None)``  at most the first two, joined with
    "oder"/"or"; a second start on the same day is spoken by its time only.
``ask(understanding, lang)``  the question for ``needs`` (one or two short sentences).
``message_problems(text) -> list[str]``  violations of the spoken-message rules: over 250
    characters, more than 2 sentences, braces/brackets, JSON, ISO dates or timestamps, ids.

Grammar rules worth knowing
---------------------------
* A weekday ("Dienstag", "am/nächsten/kommenden Dienstag", "next Tuesday") is its next
  occurrence *after* today; "nächste Woche Dienstag" / "Tuesday next week" is that day of the
  next ISO week; "übernächsten Dienstag" / "Tuesday after next" a week after the next one.
* A day and month without a year already past this year is next year's; a date with a year
  in the past, "gestern"/"yesterday", or a weekday of "diese Woche" before today are "past".
  31.02. or 29.02. of a common year are "impossible". Dates never roll over silently.
* Hours 1-12 said without am/pm or a part of day follow the salon rule: 1-7 are afternoon
  (13-19 h), 8-12 as said; "halb drei" is 2:30 read as 14:30. A part of day decides instead
  ("um 8 abends" 20:00, "7 Uhr morgens" 7:00), so does am/pm. A zero-padded hour ("07:30")
  or one above 12 is literal 24-hour time.
* "noon"/"at noon"/"12 noon" is 12:00 exactly; "around noon", "midday", "lunchtime" and
  "mittags" are the noon window 12-14.
* "7.12" is a date in a date field; in the time field, after "um"/"at", before "Uhr", or
  after another day in the same field ("Dienstag 9.10") it is a time. "14.30" can only be a
  time. Digits nobody could place make the field unparseable: we ask, we never guess.
* A time alone is its next occurrence (today if still ahead, else tomorrow); a part of day
  alone is today's unless it is over; an exact time today that has passed is "past".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

from app.spoken import (
    MONTH_NAMES,
    Lang,
    checked_language,
    speak_date,
    speak_datetime,
    speak_time,
)

__all__ = [
    "AFTERNOON",
    "EVENING",
    "MORNING",
    "NOON",
    "WINDOWS",
    "Lang",
    "Needs",
    "NonexistentTimeError",
    "Reason",
    "Understanding",
    "WallTime",
    "Window",
    "ask",
    "local_datetime",
    "message_problems",
    "speak_alternatives",
    "speak_date",
    "speak_datetime",
    "speak_time",
    "speak_window",
    "understand",
]

Needs = Literal["date", "time"]
Reason = Literal["missing", "unparseable", "impossible", "past", "conflict", "nonexistent"]
WindowName = Literal["morning", "noon", "afternoon", "evening"]
# A naive local wall-clock time (the alias keeps the field name `time` free of the type name).
WallTime = time


@dataclass(frozen=True, slots=True)
class Window:
    """A part of day: search the earliest free starts from `start` to `end` (local)."""

    name: WindowName
    start: WallTime
    end: WallTime


MORNING = Window("morning", time(9), time(12))
NOON = Window("noon", time(12), time(14))
AFTERNOON = Window("afternoon", time(12), time(18))
EVENING = Window("evening", time(17), time(20))
WINDOWS: dict[str, Window] = {w.name: w for w in (MORNING, NOON, AFTERNOON, EVENING)}


@dataclass(frozen=True, slots=True)
class Understanding:
    """What was understood; see the module docstring for the three possible shapes."""

    day: date | None = None
    time: WallTime | None = None
    window: Window | None = None
    start: datetime | None = None
    span: tuple[datetime, datetime] | None = None
    needs: Needs | None = None
    reason: Reason | None = None

    @property
    def ok(self) -> bool:
        return self.needs is None

    @property
    def requested_start(self) -> datetime | None:
        if self.start is not None:
            return self.start
        return self.span[0] if self.span is not None else None


class NonexistentTimeError(ValueError):
    """The wall time falls into the hour skipped when the clocks spring forward."""


def local_datetime(day: date, wall: WallTime, tz: tzinfo) -> datetime:
    """Aware datetime of `wall` on `day` in `tz`; of a repeated wall time the first
    occurrence, unless `wall.fold` says the second (an ISO instant with the winter offset).

    Raises NonexistentTimeError for a wall time the clock skips (spring forward)."""
    local = datetime.combine(day, wall.replace(tzinfo=None), tzinfo=tz)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTimeError(f"{day} {wall} does not exist in {tz}")
    return local


def _lenient(day: date, wall: WallTime, tz: tzinfo) -> datetime:
    """Like local_datetime, for span bounds: never raises (a skipped bound maps forward)."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC).astimezone(tz)


# --------------------------------------------------------------------------------------------
# Lexicon: every known word (lowercase, umlauts folded to ae/oe/ue/ss) -> a canonical token.
# Canonical tokens are UPPERCASE (input is lowercased first, so they never clash with it);
# number words become "<n>W", ordinal words "<n>." like written ordinals.
# --------------------------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "’": "'",
        "‘": "'",
        "´": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "\u00a0": " ",
    }
)


def _umlaut_variants(word: str) -> set[str]:
    """The folded word and its spellings without umlaut marks ("naechste" -> "nachste")."""
    variants = {word}
    for digraph, plain in (("ae", "a"), ("oe", "o"), ("ue", "u")):
        variants |= {v.replace(digraph, plain) for v in variants}
    return variants


_DE_CARDINALS = [
    "null",
    "eins",
    "zwei",
    "drei",
    "vier",
    "fuenf",
    "sechs",
    "sieben",
    "acht",
    "neun",
    "zehn",
    "elf",
    "zwoelf",
    "dreizehn",
    "vierzehn",
    "fuenfzehn",
    "sechzehn",
    "siebzehn",
    "achtzehn",
    "neunzehn",
]
_DE_TENS = {20: "zwanzig", 30: "dreissig", 40: "vierzig", 50: "fuenfzig"}
_DE_UNIT_PREFIX = ["", "ein", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun"]
_EN_CARDINALS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty"}
_EN_ORDINALS = [
    "",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_DE_MONTHS = [
    "januar",
    "februar",
    "maerz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
]
_EN_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_ALIASES = {
    1: ["jan", "jaenner"],
    2: ["feb", "feber"],
    3: ["mar", "mrz", "maer"],
    4: ["apr"],
    6: ["jun"],
    7: ["jul"],
    8: ["aug"],
    9: ["sep", "sept"],
    10: ["okt", "oct"],
    11: ["nov"],
    12: ["dez", "dec"],
}
_DE_WEEKDAYS = ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"]
_EN_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ALIASES = {
    0: ["mon"],
    1: ["tue", "tues"],
    2: ["wed"],
    3: ["thu", "thur", "thurs"],
    4: ["fri"],
    5: ["sonnabend"],
}
_DE_PART_SUFFIXES = {
    "morgen": "MORNING",
    "vormittag": "MORNING",
    "mittag": "NOONW",
    "nachmittag": "AFTERNOON",
    "abend": "EVENING",
}
_EN_PART_SUFFIXES = {
    "morning": "MORNING",
    "afternoon": "AFTERNOON",
    "evening": "EVENING",
    "night": "EVENING",
}


def _build_lexicon() -> dict[str, str]:
    lex: dict[str, str] = {}

    def de(canon: str, *words: str) -> None:
        for word in words:
            for variant in _umlaut_variants(word):
                lex.setdefault(variant, canon)

    def en(canon: str, *words: str) -> None:
        for word in words:
            lex.setdefault(word, canon)

    # Numbers 0-59. "ein"/"eine"/"one" are also articles: they become ONE, which only the
    # time patterns read as a number.
    for n, word in enumerate(_DE_CARDINALS):
        de(f"{n}W", word)
    for n, word in enumerate(_EN_CARDINALS):
        if n != 1:
            en(f"{n}W", word)
    for tens, word in _DE_TENS.items():
        de(f"{tens}W", word)
        for unit in range(1, 10):
            de(f"{tens + unit}W", f"{_DE_UNIT_PREFIX[unit]}und{word}")
    for tens, word in _EN_TENS.items():
        en(f"{tens}W", word)
        for unit in range(1, 10):
            for sep in ("-", ""):
                en(f"{tens + unit}W", f"{word}{sep}{_EN_CARDINALS[unit]}")
    de("2W", "zwo", "dreisig")  # "zwo" on the phone; a common misspelling of dreißig
    de("30W", "dreisig")
    de("ONE", "ein", "eine")
    en("ONE", "one")

    # Ordinals 1-31 -> "<n>." (German endings -e/-en/-er/-es/-em; English -th words).
    de_stems = {1: "erst", 3: "dritt", 7: "siebt", 8: "acht"}
    for n in range(1, 32):
        if n in de_stems:
            stems = [de_stems[n]] + (["siebent"] if n == 7 else [])
        elif n < 20:
            stems = [_DE_CARDINALS[n] + "t"]
        else:
            tens, unit = divmod(n, 10)
            word = _DE_TENS[tens * 10]
            stems = [f"{_DE_UNIT_PREFIX[unit]}und{word}st" if unit else f"{word}st"]
        for stem in stems:
            de(f"{n}.", *(stem + ending for ending in ("e", "en", "er", "es", "em")))
        if n < 20:
            en(f"{n}.", _EN_ORDINALS[n])
        else:
            tens, unit = divmod(n, 10)
            word = _EN_TENS[tens * 10]
            if unit == 0:
                en(f"{n}.", word[:-1] + "ieth")
            else:
                for sep in ("-", ""):
                    en(f"{n}.", f"{word}{sep}{_EN_ORDINALS[unit]}")

    for n, word in enumerate(_DE_MONTHS, start=1):
        de(f"M{n}", word)
    for n, word in enumerate(_EN_MONTHS, start=1):
        en(f"M{n}", word)
    for n, words in _MONTH_ALIASES.items():
        de(f"M{n}", *words)

    for n, word in enumerate(_DE_WEEKDAYS):
        de(f"WD{n}", word, word + "s")
        for suffix, part in _DE_PART_SUFFIXES.items():
            de(f"WD{n} {part}", word + suffix, word + suffix + "s")
    for n, word in enumerate(_EN_WEEKDAYS):
        en(f"WD{n}", word, word + "s")
    for n, words in _WEEKDAY_ALIASES.items():
        en(f"WD{n}", *words)
    de("WD5", "sonnabends")

    de("TODAY", "heute", "heut")
    en("TODAY", "today")
    en("TODAY EVENING", "tonight")
    de("MORGEN", "morgen")  # tomorrow, or "morning" after heute/am/a weekday
    en("TOMORROW", "tomorrow", "tmrw")
    de("DAYAFTER", "uebermorgen")
    de("YESTERDAY", "gestern", "vorgestern")
    en("YESTERDAY", "yesterday")
    de("NEXT", *(s + e for s in ("naechst", "kommend", "folgend") for e in ("e", "en", "er", "es")))
    en("NEXT", "next", "coming", "following")
    de("AFTERNEXT", *("uebernaechst" + e for e in ("e", "en", "er", "es", "em")))
    de("THIS", "diese", "diesen", "dieser", "dieses", "diesem")
    en("THIS", "this")
    de("WEEK", "woche", "wochen")
    en("WEEK", "week", "weeks")
    de("DAY", "tag", "tage", "tagen")
    en("DAY", "day", "days")

    de("MORNING", "vormittag", "vormittags", "morgens")
    en("MORNING", "morning", "mornings")
    de("EARLY", "frueh")
    en("EARLY", "early")
    de("NOONW", "mittag", "mittags", "mittagszeit", "mittagspause")
    en("NOONW", "midday", "lunchtime", "lunch", "noonish")
    en("NOON", "noon")
    de("MIDNIGHT", "mitternacht")
    en("MIDNIGHT", "midnight")
    de("AFTERNOON", "nachmittag", "nachmittags")
    en("AFTERNOON", "afternoon", "afternoons")
    de("EVENING", "abend", "abends", "nacht", "nachts")
    en("EVENING", "evening", "evenings", "night")

    de("UHR", "uhr", "h")
    en("UHR", "o'clock", "oclock")
    de("HALB", "halb")
    en("HALF", "half")
    de("VIERTEL", "viertel")
    de("DREIVIERTEL", "dreiviertel")
    en("QUARTER", "quarter")
    de("NACH", "nach")
    de("VOR", "vor")
    en("PAST", "past")
    en("AFTER", "after")
    en("TO", "to", "till", "til", "before")
    de("AT", "um")
    en("AT", "at")
    de("ABOUT", "gegen", "ca", "ca.", "circa", "etwa", "ungefaehr")
    en("ABOUT", "around", "about", "approximately", "roughly")
    de("FROM", "ab")
    en("FROM", "from")
    de("MIN", "minute", "minuten", "min")
    en("MIN", "minutes", "mins")
    en("PM", "pm", "p.m.", "p.m")
    en("AM", "a.m.", "a.m")
    return lex


_LEXICON = _build_lexicon()
_UNIT_WORDS = {f"{n}W": n for n in range(1, 10)} | {"ONE": 1}
_TENS_WORDS = {"20W": 20, "30W": 30, "40W": 40, "50W": 50}

_JUNK = re.compile(r"[^a-z0-9.:+\-/' ]+")
# "14uhr" "2pm" "2:30pm" "7.dezember": split a number from a glued unit or word.
_GLUED = re.compile(r"(?<=\d)(?=(?:uhr|pm|am|p\.m|a\.m|h)\b)|(?<=\d\.)(?=[a-z])")
_DIGIT_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th|te|ten|ter|tes|tem)\.?")


def _canonical(text: str) -> str:
    """Lowercase, fold umlauts, drop punctuation, and map known words to canonical tokens."""
    s = _JUNK.sub(" ", text.lower().translate(_FOLD))
    s = _GLUED.sub(" ", s)
    out: list[str] = []
    for tok in s.split():
        canon = _LEXICON.get(tok)
        if canon is None:
            if tok[0].isdigit():
                m = _DIGIT_ORDINAL.fullmatch(tok)
                canon = f"{m.group(1)}." if m else tok
            else:
                core = tok.strip(".'-:/+")
                canon = _LEXICON.get(core, core)
        if out and out[-1] in _TENS_WORDS:
            # "twenty one" -> 21W, "twenty first" -> 21.
            tens = _TENS_WORDS[out[-1]]
            if canon in _UNIT_WORDS:
                out[-1] = f"{tens + _UNIT_WORDS[canon]}W"
                continue
            if len(canon) == 2 and canon[1] == "." and canon[0] in "123456789":
                out[-1] = f"{tens + int(canon[0])}."
                continue
        out.append(canon)
    s = " ".join(out)
    # Context: "morgen" after heute/am/a weekday is the morning; greetings are no dates.
    if any(key in s for key in _REWRITE_KEYS):
        s = _REWRITE.sub(_rewrite, s)
    return s


# German "am" before a day or a part of day is "on", never the English "a.m.".
_GERMAN_AFTER_AM = (
    r"\d|WD|NEXT|AFTERNEXT|THIS|MORNING|NOONW|AFTERNOON|EVENING|M\d|MORGEN"
    r"|liebsten|besten|ehesten|anfang|ende|wochenende|fruehen|spaeten"
)
_REWRITE_KEYS = ("MORGEN", "EARLY", "THIS", "NOON", "am", "1.")
_REWRITE = re.compile(
    r"\b(?P<greet>(?:guten|good) (?:MORGEN|MORNING|DAY|AFTERNOON|EVENING))\b"
    r"|\b(?P<first>(?:the\s)?1\.)\s(?=available|free|possible|open|frei|moeglich|naechstmoeglich)"
    r"|\b(?P<asap>so EARLY wie|as EARLY as)\b"
    r"|\b(?P<ctx>WD\d|TODAY|am) MORGEN\b"
    r"|\bEARLY (?P<part>MORNING|NOONW|AFTERNOON|EVENING)\b"
    r"|\b(?P<early>EARLY)\b"
    r"|\bTHIS (?P<this>MORNING|AFTERNOON|EVENING)\b"
    r"|\bABOUT (?P<about>NOON)\b"
    r"|\b(?P<tomorrow>MORGEN)\b"
    rf"|\b(?P<de_am>am)(?=\s(?:{_GERMAN_AFTER_AM}))"
)


def _rewrite(m: re.Match[str]) -> str:
    group = m.lastgroup
    if group in ("greet", "asap", "first"):
        return " "
    if group == "de_am":
        return "on"
    if group == "ctx":
        context = m.group("ctx")
        return f"{'on' if context == 'am' else context} MORNING"
    if group == "part":
        return m.group("part")
    if group == "early":
        return "MORNING"
    if group == "this":
        return f"TODAY {m.group('this')}"
    if group == "about":
        return "NOONW"
    return "TOMORROW"


# --------------------------------------------------------------------------------------------
# Rules over the canonical string. Each consumes its match (replaced by a space) when its
# handler accepts it; what is left over decides whether the field was understood.
# --------------------------------------------------------------------------------------------

_NUM = r"(\d{1,2}W?|ONE)"
_MER = r"(?:\s?(?P<ap>PM|AM|am)\b)?"


def _num(token: str) -> int:
    return 1 if token == "ONE" else int(token.rstrip("W"))


@dataclass(slots=True)
class _Clock:
    hour: int
    minute: int
    second: int
    mode: Literal["lit", "amb", "am", "pm"]
    fold: int = 0  # 1: the second of a repeated wall time (an ISO instant said so)


class _Scan:
    """The pieces found in one field."""

    __slots__ = ("kind", "today", "tz", "days", "weekdays", "clocks", "windows", "problems", "hits")

    def __init__(self, kind: str, today: date, tz: tzinfo) -> None:
        self.kind = kind
        self.today = today
        self.tz = tz
        self.days: list[date] = []
        self.weekdays: list[int] = []
        self.clocks: list[_Clock] = []
        self.windows: list[Window] = []
        self.problems: list[tuple[Needs, Reason]] = []
        self.hits = 0

    @property
    def has_day(self) -> bool:
        return bool(self.days or self.weekdays)

    # -- results --------------------------------------------------------------------------

    def day(self, value: date) -> bool:
        self.hits += 1
        self.days.append(value)
        return True

    def problem(self, needs: Needs, reason: Reason) -> bool:
        self.hits += 1
        self.problems.append((needs, reason))
        return True

    def dated(self, year: int, month: int, dom: int, *, year_given: bool) -> bool:
        """A calendar date; without a year a day already past this year is next year's."""
        try:
            value = date(year, month, dom)
        except ValueError:
            return self.problem("date", "impossible")
        if value < self.today:
            if year_given:
                return self.problem("date", "past")
            try:
                value = date(year + 1, month, dom)
            except ValueError:
                return self.problem("date", "impossible")
        return self.day(value)

    def clock(
        self, hour: int, minute: int, mode: str, ap: str | None, second: int = 0, fold: int = 0
    ) -> bool:
        if ap is not None:
            if hour > 12:
                if ap != "PM":
                    return self.problem("time", "impossible")
            else:
                mode = "pm" if ap == "PM" else "am"
        elif mode == "amb" and not 1 <= hour <= 12:
            mode = "lit"
        if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
            return self.problem("time", "impossible")
        self.hits += 1
        self.clocks.append(_Clock(hour, minute, second, mode, fold))  # type: ignore[arg-type]
        return True

    def before(self, hour: int, minutes: int, ap: str | None) -> bool:
        """`minutes` before the spoken `hour` ("viertel vor drei" -> 2:45)."""
        if not 1 <= minutes <= 59 or not 1 <= hour <= 24:
            return self.problem("time", "impossible")
        clock_hour = hour - 1
        if hour <= 12:
            return self.clock(clock_hour or 12, 60 - minutes, "amb", ap)
        return self.clock(clock_hour, 60 - minutes, "lit", ap)

    def after(self, hour: int, minutes: int, ap: str | None) -> bool:
        if not 0 <= minutes <= 59 or hour > 24:
            return self.problem("time", "impossible")
        return self.clock(hour, minutes, "amb", ap)

    def next_weekday(self, weekday: int) -> date:
        return self.today + timedelta(days=(weekday - self.today.weekday() - 1) % 7 + 1)

    def week_day(self, weekday: int, weeks_ahead: int) -> bool:
        monday = self.today - timedelta(days=self.today.weekday())
        value = monday + timedelta(days=7 * weeks_ahead + weekday)
        if value < self.today:
            return self.problem("date", "past")
        return self.day(value)


_Handler = Callable[[_Scan, re.Match[str]], bool]


def _iso_datetime(scan: _Scan, m: re.Match[str]) -> bool:
    year, month, dom, hour, minute, second, frac, offset = m.groups()
    try:
        naive = datetime(int(year), int(month), int(dom), int(hour), int(minute), int(second or 0))
    except ValueError:
        return scan.problem("date", "impossible")
    if offset:
        if offset == "z":
            zone: tzinfo = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
            if hours > 23 or minutes > 59:
                return scan.problem("date", "impossible")
            zone = _fixed(sign * (hours * 60 + minutes))
        local = naive.replace(tzinfo=zone).astimezone(scan.tz)
    else:
        local = naive
    if local.date() < scan.today:
        return scan.problem("date", "past")
    scan.day(local.date())
    return scan.clock(local.hour, local.minute, "lit", None, local.second, local.fold)


def _fixed(minutes: int) -> tzinfo:
    return timezone(timedelta(minutes=minutes))


def _iso_date(scan: _Scan, m: re.Match[str]) -> bool:
    return scan.dated(int(m[1]), int(m[2]), int(m[3]), year_given=True)


def _dmy(scan: _Scan, m: re.Match[str]) -> bool:
    year = int(m[3]) if m[3] else 2000 + int(m[4])
    return scan.dated(year, int(m[2]), int(m[1]), year_given=True)


def _day_month(scan: _Scan, m: re.Match[str]) -> bool:
    dom, month, year = int(m["d"]), int(m["m"]), m["y"]
    if year:
        return scan.dated(int(year), month, dom, year_given=True)
    return scan.dated(scan.today.year, month, dom, year_given=False)


def _relative(scan: _Scan, m: re.Match[str]) -> bool:
    word = m.lastgroup
    if word == "yesterday":
        return scan.problem("date", "past")
    offset = {"today": 0, "tomorrow": 1, "dayafter": 2}[word or ""]
    return scan.day(scan.today + timedelta(days=offset))


def _in_days(scan: _Scan, m: re.Match[str]) -> bool:
    count = 1 if m["n"] in ("ONE", "einer", "einem", "a", "an") else _num(m["n"])
    return scan.day(scan.today + timedelta(days=count * (7 if m["unit"] == "WEEK" else 1)))


_WEEKS_AHEAD = {"THIS": 0, "NEXT": 1, "AFTERNEXT": 2}


def _week_weekday(scan: _Scan, m: re.Match[str]) -> bool:
    weekday = int(m["wd1"] or m["wd2"] or m["wd3"] or m["wd4"])
    weeks = 2 if m["wd3"] or m["wd4"] else _WEEKS_AHEAD[m["w1"] or m["w2"]]
    return scan.week_day(weekday, weeks)


def _after_next(scan: _Scan, m: re.Match[str]) -> bool:
    return scan.day(scan.next_weekday(int(m["wd1"] or m["wd2"])) + timedelta(days=7))


def _weekday(scan: _Scan, m: re.Match[str]) -> bool:
    scan.hits += 1
    scan.weekdays.append(int(m[1]))
    return True


_DOM_NEXT = frozenset(
    [
        "AT",
        "ABOUT",
        "FROM",
        "UHR",
        "MORNING",
        "NOONW",
        "AFTERNOON",
        "EVENING",
        "NOON",
        "HALB",
        "VIERTEL",
        "DREIVIERTEL",
        "QUARTER",
        "HALF",
        "bitte",
        "please",
    ]
)


def _day_of_month(scan: _Scan, m: re.Match[str]) -> bool:
    if m["alone"] is None:
        rest = m.string[m.end() :].split(maxsplit=1)
        if rest and not (rest[0] in _DOM_NEXT or rest[0][0].isdigit()):
            return False  # "the first available slot" is no date
    dom = int(m["d"] or m["alone"])
    today = scan.today
    year, month = today.year, today.month
    if dom < today.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    try:
        return scan.day(date(year, month, dom))
    except ValueError:
        return scan.problem("date", "impossible")


def _dotted(scan: _Scan, m: re.Match[str]) -> bool:
    """D.M (a date) or H.MM (a time), decided by the field and what is around it."""
    a, b_raw = int(m["a"]), m["b"]
    b = int(b_raw)
    time_ok = len(b_raw) == 2 and a <= 23 and b <= 59
    date_ok = 1 <= b <= 12 and a >= 1
    as_time: bool
    if (m["pre"] or m["uhr"] or m["ap"]) and time_ok:
        as_time = True
    elif m["dot"]:
        as_time = False
    elif scan.kind == "time" or scan.has_day:
        as_time = time_ok
    else:
        as_time = not date_ok
    if as_time:
        if not time_ok:
            return False
        mode = "lit" if m["a"].startswith("0") and len(m["a"]) == 2 else "amb"
        return scan.clock(a, b, mode, m["ap"])
    if not date_ok:
        return False
    return scan.dated(scan.today.year, b, a, year_given=False)


_WINDOW_TOKENS = {
    "MORNING": MORNING,
    "NOONW": NOON,
    "AFTERNOON": AFTERNOON,
    "EVENING": EVENING,
}


def _window(scan: _Scan, m: re.Match[str]) -> bool:
    scan.hits += 1
    scan.windows.append(_WINDOW_TOKENS[m[1]])
    return True


def _dreiviertel(scan: _Scan, m: re.Match[str]) -> bool:
    return scan.before(_num(m[1]), 15, m["ap"])


def _relative_time(scan: _Scan, m: re.Match[str]) -> bool:
    """ "zehn nach drei", "fünf vor halb drei", "quarter to three", "twenty past four"."""
    if m["q"]:
        minutes = 15
    elif m["h2"]:
        minutes = 30
    else:
        minutes = _num(m["n"])
        if minutes > 30 or (m["en"] and minutes % 5):
            return False  # "2 to 3" is a range, not 2:58
    hour = _num(m["h"])
    if m["halb"]:
        if minutes >= 30:
            return False
        half_past = 30 + minutes if m["dir"] == "NACH" else 30 - minutes
        return scan.before(hour, 60 - half_past, m["ap"])
    if m["dir"] in ("NACH", "PAST", "AFTER"):
        return scan.after(hour, minutes, m["ap"])
    return scan.before(hour, minutes, m["ap"])


def _halb(scan: _Scan, m: re.Match[str]) -> bool:
    return scan.before(_num(m[1]), 30, m["ap"])


def _half_en(scan: _Scan, m: re.Match[str]) -> bool:
    """British "half two" is 2:30."""
    return scan.after(_num(m[1]), 30, m["ap"])


def _viertel(scan: _Scan, m: re.Match[str]) -> bool:
    """Regional "viertel drei" is 2:15."""
    return scan.before(_num(m[1]), 45, m["ap"])


def _colon(scan: _Scan, m: re.Match[str]) -> bool:
    hour_raw = m[1]
    mode = "lit" if hour_raw.startswith("0") and len(hour_raw) == 2 else "amb"
    return scan.clock(int(hour_raw), int(m[2]), mode, m["ap"], int(m[3] or 0))


def _hour_uhr(scan: _Scan, m: re.Match[str]) -> bool:
    hour_raw = m[1]
    mode = "lit" if hour_raw.startswith("0") and len(hour_raw) == 2 else "amb"
    minute = _num(m[2]) if m[2] else 0
    return scan.clock(_num(hour_raw), minute, mode, m["ap"])


def _hour_minute_words(scan: _Scan, m: re.Match[str]) -> bool:
    """ "two thirty", "two oh five", "vierzehn dreißig"."""
    minute = _num(m[3])
    if not m[2] and minute < 10:
        return False
    return scan.clock(_num(m[1]), minute, "amb", m["ap"])


def _hour_meridiem(scan: _Scan, m: re.Match[str]) -> bool:
    return scan.clock(_num(m[1]), 0, "amb", m["ap"])


def _noon(scan: _Scan, m: re.Match[str]) -> bool:
    return scan.clock(12 if m[1] == "NOON" else 0, 0, "lit", None)


def _at_hour(scan: _Scan, m: re.Match[str]) -> bool:
    raw = m[1]
    mode = "lit" if raw.startswith("0") and len(raw) == 2 else "amb"
    return scan.clock(_num(raw), 0, mode, m["ap"])


def _rule(
    gates: str, pattern: str, handler: _Handler
) -> tuple[tuple[str, ...], re.Pattern[str], _Handler]:
    return tuple(gates.split()), re.compile(pattern), handler


_MONTH = r"M(?P<m>1[0-2]|[1-9])\b"
_RULES = [
    # dates
    _rule(
        "-",
        r"\b(\d{4})-(\d{1,2})-(\d{1,2})[t ](\d{1,2}):(\d{2})(?::(\d{2})([.,]\d+)?)?"
        r"(z|[+-]\d{2}(?::?\d{2})?)?(?!\S)",
        _iso_datetime,
    ),
    _rule("-", r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", _iso_date),
    _rule(".", r"\b(\d{1,2})\.\s?(\d{1,2})\.(?:\s?(\d{4})|(\d{2}))(?![\d.:])", _dmy),
    _rule(
        "M",
        rf"\b(?:the\s)?(?P<d>\d{{1,2}})(?:\.|W\b|\b)\s?(?:of\s)?{_MONTH}\.?(?:,?\s(?P<y>\d{{4}})\b)?",
        _day_month,
    ),
    _rule(
        "M",
        rf"\b{_MONTH}\.?\s(?:the\s)?(?P<d>\d{{1,2}})(?:\.|W\b|\b)(?!\s?(?:UHR|PM|AM|[:h]\d))"
        r"(?:,?\s(?P<y>\d{4})\b)?",
        _day_month,
    ),
    _rule(
        "DAY TODAY TOMORROW YESTERDAY",
        r"\b(?:the\s)?(?P<dayafter>DAYAFTER|DAY AFTER TOMORROW)\b|\b(?P<today>TODAY)\b"
        r"|\b(?P<tomorrow>TOMORROW)\b|\b(?P<yesterday>YESTERDAY)\b",
        _relative,
    ),
    _rule(
        "DAY WEEK",
        r"\bin\s(?P<n>\d{1,2}W?|ONE|einer|einem|a|an)\s(?P<unit>DAY|WEEK)\b",
        _in_days,
    ),
    _rule(
        "WEEK",
        r"\b(?P<w1>NEXT|AFTERNEXT|THIS)\sWEEK\s(?:(?:on|am)\s)?WD(?P<wd1>[0-6])\b"
        r"|\bWD(?P<wd2>[0-6])\s(?:(?:in|of)\s)?(?:(?:der|the)\s)?(?P<w2>NEXT|AFTERNEXT|THIS)\sWEEK\b"
        r"|\bWD(?P<wd3>[0-6])\s(?:(?:in|of)\s)?the\sWEEK\sAFTER\sNEXT\b"
        r"|\bthe\sWEEK\sAFTER\sNEXT\s(?:on\s)?WD(?P<wd4>[0-6])\b",
        _week_weekday,
    ),
    _rule(
        "AFTER",
        r"\bAFTERNEXT\sWD(?P<wd1>[0-6])\b|\bWD(?P<wd2>[0-6])\sAFTER\sNEXT\b",
        _after_next,
    ),
    _rule("WD", r"\b(?:(?:NEXT|THIS)\s)?WD([0-6])\b", _weekday),
    _rule(
        ".",
        r"(?:\b(?:am|den|der|dem|zum|on|the|on\sthe)\s(?P<d>\d{1,2})\.(?!\d)|^\s*(?P<alone>\d{1,2})\.\s*$)",
        _day_of_month,
    ),
    _rule(
        ".",
        rf"(?P<pre>\b(?:AT|ABOUT|FROM)\s)?\b(?P<a>\d{{1,2}})\.(?P<b>\d{{1,2}})(?P<dot>\.(?!\d))?"
        rf"(?P<uhr>\sUHR)?{_MER}(?![\d.])",
        _dotted,
    ),
    # parts of day
    _rule("MORNING NOONW AFTERNOON EVENING", r"\b(MORNING|NOONW|AFTERNOON|EVENING)\b", _window),
    # times
    _rule(
        "DREIVIERTEL VIERTEL",
        rf"\b(?:DREIVIERTEL|3W\sVIERTEL)\s{_NUM}(?:\sUHR)?{_MER}",
        _dreiviertel,
    ),
    _rule(
        "NACH VOR PAST AFTER TO",
        rf"\b(?:(?P<q>(?:a\s)?QUARTER|VIERTEL)|(?P<h2>HALF)|(?P<n>\d{{1,2}}W?)(?:\sMIN)?)\s"
        rf"(?P<dir>NACH|VOR|(?P<en>PAST|AFTER|TO))\s(?P<halb>HALB\s)?(?P<h>\d{{1,2}}W?|ONE)\b"
        rf"(?:\sUHR)?{_MER}",
        _relative_time,
    ),
    _rule("HALB", rf"\bHALB\s{_NUM}(?:\sUHR)?{_MER}", _halb),
    _rule("HALF", rf"\bHALF\s{_NUM}\b{_MER}", _half_en),
    _rule("VIERTEL", rf"\bVIERTEL\s{_NUM}(?:\sUHR)?{_MER}", _viertel),
    _rule(
        ": h",
        rf"\b(\d{{1,2}})(?::|h)(\d{{2}})(?::(\d{{2}}))?\b(?:\sUHR)?{_MER}",
        _colon,
    ),
    _rule("UHR", rf"\b{_NUM}\sUHR(?:\s(\d{{1,2}}W?)\b(?![.:]))?{_MER}", _hour_uhr),
    _rule("W", rf"\b(\d{{1,2}}W|ONE)\s(?:(oh)\s)?(\d{{1,2}})W\b{_MER}", _hour_minute_words),
    _rule(
        "PM AM am",
        r"\b(\d{1,2}W?|ONE)\s?(?P<ap>PM|AM|am)\b",
        _hour_meridiem,
    ),
    _rule("NOON MIDNIGHT", r"\b(?:(?:AT|ABOUT)\s)?(?:12W?\s)?(NOON|MIDNIGHT)\b", _noon),
    _rule(
        "AT ABOUT FROM NACH AFTER",
        rf"\b(?:AT|ABOUT|FROM|NACH|AFTER)\s(\d{{1,2}}W?|ONE)\b(?![.:]\d){_MER}",
        _at_hour,
    ),
]


def _consume(rx: re.Pattern[str], s: str, scan: _Scan, handler: _Handler) -> str:
    pieces: list[str] = []
    pos = 0
    for m in rx.finditer(s):
        if handler(scan, m):
            pieces.append(s[pos : m.start()])
            pieces.append(" ")
            pos = m.end()
    if not pieces:
        return s
    pieces.append(s[pos:])
    return "".join(pieces)


def _scan(text: str, kind: str, today: date, tz: tzinfo) -> _Scan:
    scan = _Scan(kind, today, tz)
    s = _canonical(text)
    for gates, rx, handler in _RULES:
        for gate in gates:  # a cheap substring test skips rules that cannot match
            if gate in s:
                s = _consume(rx, s, scan, handler)
                break
    _leftovers(scan, s)
    return scan


def _leftovers(scan: _Scan, s: str) -> None:
    """A lone number left over is an hour where one is expected; other digits make us ask."""
    numbers = [tok for tok in s.split() if tok[0].isdigit()]
    if not numbers:
        return
    digits = [tok for tok in numbers if not tok.endswith("W")]
    if (
        len(numbers) == 1
        and not scan.clocks
        and (scan.kind == "time" or scan.has_day or scan.windows)
        and (numbers[0].isdigit() or (numbers[0][-1] == "W" and numbers[0][:-1].isdigit()))
    ):
        raw = numbers[0]
        mode = "lit" if raw.startswith("0") and len(raw) == 2 else "amb"
        scan.clock(_num(raw), 0, mode, None)
        return
    if digits:
        needs: Needs = "time" if scan.kind == "time" or scan.has_day else "date"
        scan.problem(needs, "unparseable")


# --------------------------------------------------------------------------------------------
# understand()
# --------------------------------------------------------------------------------------------


def understand(
    *,
    date: str | None = None,
    time: str | None = None,
    datetime_text: str | None = None,
    now: datetime,
) -> Understanding:
    """What the caller asked for, resolved against `now` (aware, in the branch's zone)."""
    return _understand(date, time, datetime_text, now)


def _resolve_hour(clock: _Clock, window: Window | None) -> int:
    hour = clock.hour
    if clock.mode == "lit":
        return hour
    if clock.mode == "pm":
        return hour if hour == 12 else hour + 12
    if clock.mode == "am":
        return 0 if hour == 12 else hour
    # Said without am/pm: the part of day decides, else the salon rule (1-7 afternoon).
    if window is MORNING:
        return hour
    if window is AFTERNOON or window is EVENING:
        return hour if hour == 12 else hour + 12
    return hour + 12 if hour <= 7 else hour


def _understand(
    date_text: str | None, time_text: str | None, datetime_text: str | None, now: datetime
) -> Understanding:
    tz = now.tzinfo
    if tz is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (the branch's zone)")
    today = now.date()
    scans = [
        _scan(text, kind, today, tz)
        for kind, text in (("date", date_text), ("datetime", datetime_text), ("time", time_text))
        if text is not None and text.strip()
    ]
    if not scans:
        return Understanding(needs="date", reason="missing")

    date_problem: Reason | None = None
    time_problem: Reason | None = None
    for scan in scans:
        if scan.hits == 0:
            if scan.kind == "time":
                time_problem = time_problem or "unparseable"
            else:
                date_problem = date_problem or "unparseable"
        for needs, reason in scan.problems:
            if needs == "date":
                date_problem = date_problem or reason
            else:
                time_problem = time_problem or reason

    # The day: explicit days must agree, and weekdays said with them must fit.
    explicit = {d for scan in scans for d in scan.days}
    weekdays = {w for scan in scans for w in scan.weekdays}
    day: date | None = None
    if len(explicit) > 1:
        date_problem = date_problem or "conflict"
    elif explicit:
        day = next(iter(explicit))
        if any(w != day.weekday() for w in weekdays):
            date_problem = date_problem or "conflict"
    elif len(weekdays) > 1:
        date_problem = date_problem or "conflict"
    elif weekdays:
        day = today + timedelta(days=(next(iter(weekdays)) - today.weekday() - 1) % 7 + 1)

    windows = {w for scan in scans for w in scan.windows}
    window = next(iter(windows)) if len(windows) == 1 else None
    if len(windows) > 1:
        time_problem = time_problem or "conflict"
    clocks = {
        (_resolve_hour(c, window), c.minute, c.second, c.fold)
        for scan in scans
        for c in scan.clocks
    }
    wall: WallTime | None = None
    if len(clocks) > 1:
        time_problem = time_problem or "conflict"
    elif clocks:
        hour, minute, second, fold = next(iter(clocks))
        wall = WallTime(hour, minute, second, fold=fold)
        window = None  # an exact time was said; the part of day only placed it

    if date_problem is not None:
        return Understanding(time=wall, window=window, needs="date", reason=date_problem)
    if time_problem is not None:
        return Understanding(day=day, window=window, needs="time", reason=time_problem)

    now_utc = now.astimezone(UTC)
    if wall is not None:
        if day is None:
            # A time alone: its next occurrence (today if still ahead, else tomorrow).
            for candidate in (today, today + timedelta(days=1)):
                try:
                    start = local_datetime(candidate, wall, tz)
                except NonexistentTimeError:
                    continue
                if start.astimezone(UTC) > now_utc:
                    return Understanding(day=candidate, time=wall, start=start)
            return Understanding(time=wall, needs="time", reason="nonexistent")
        try:
            start = local_datetime(day, wall, tz)
        except NonexistentTimeError:
            return Understanding(day=day, time=wall, needs="time", reason="nonexistent")
        if start.astimezone(UTC) <= now_utc:
            return Understanding(day=day, time=wall, needs="time", reason="past")
        return Understanding(day=day, time=wall, start=start)

    if window is not None:
        if day is None:
            day = today
            if _lenient(today, window.end, tz).astimezone(UTC) <= now_utc:
                day = today + timedelta(days=1)
        span = (_lenient(day, window.start, tz), _lenient(day, window.end, tz))
        if span[1].astimezone(UTC) <= now_utc:
            return Understanding(day=day, window=window, needs="time", reason="past")
        return Understanding(day=day, window=window, span=span)

    if day is not None:
        span = (_lenient(day, WallTime(0), tz), _lenient(day + timedelta(days=1), WallTime(0), tz))
        return Understanding(day=day, span=span)
    return Understanding(needs="date", reason="unparseable")


# --------------------------------------------------------------------------------------------
# Speaking
# --------------------------------------------------------------------------------------------

_WINDOW_WORDS = {
    "de": {
        "morning": "vormittags",
        "noon": "mittags",
        "afternoon": "nachmittags",
        "evening": "abends",
    },
    "en": {
        "morning": "in the morning",
        "noon": "around noon",
        "afternoon": "in the afternoon",
        "evening": "in the evening",
    },
}


def speak_window(window: Window, lang: Lang) -> str:
    """ "vormittags", "nachmittags" / "in the morning", "around noon"."""
    return _WINDOW_WORDS[checked_language(lang)][window.name]


def speak_alternatives(starts: Sequence[datetime], lang: Lang, *, today: date | None = None) -> str:
    """At most two starts: "A oder B" / "A or B"; a second one on the same day by time only."""
    lang = checked_language(lang)
    chosen = list(starts[:2])
    if not chosen:
        return ""
    first = speak_datetime(chosen[0], lang, today=today)
    if len(chosen) == 1:
        return first
    second = chosen[1]
    if second.date() == chosen[0].date():
        spoken = ("um " if lang == "de" else "at ") + speak_time(second.time(), lang)
    else:
        spoken = speak_datetime(second, lang, today=today)
    return f"{first} {'oder' if lang == 'de' else 'or'} {spoken}"


_QUESTIONS: dict[str, dict[tuple[str, str], str]] = {
    "de": {
        ("date", "ask"): "Für welchen Tag möchten Sie den Termin?",
        ("date", "past"): "Dieser Tag liegt in der Vergangenheit.",
        ("date", "impossible"): "Dieses Datum gibt es nicht.",
        ("date", "conflict"): "Das habe ich nicht eindeutig verstanden.",
        ("time", "ask"): "Um wie viel Uhr möchten Sie kommen?",
        ("time", "past"): "Diese Uhrzeit ist schon vorbei.",
        ("time", "impossible"): "Diese Uhrzeit gibt es nicht.",
        ("time", "nonexistent"): "Diese Uhrzeit gibt es an dem Tag wegen der Zeitumstellung nicht.",
        ("time", "conflict"): "Das habe ich nicht eindeutig verstanden.",
    },
    "en": {
        ("date", "ask"): "Which day would you like the appointment on?",
        ("date", "past"): "That day is in the past.",
        ("date", "impossible"): "That date does not exist.",
        ("date", "conflict"): "Sorry, I did not catch that clearly.",
        ("time", "ask"): "What time would you like to come?",
        ("time", "past"): "That time has already passed.",
        ("time", "impossible"): "That time does not exist.",
        ("time", "nonexistent"): "That time does not exist that day because the clocks change.",
        ("time", "conflict"): "Sorry, I did not catch that clearly.",
    },
}


def ask(understanding: Understanding, lang: Lang) -> str:
    """The question for what is missing: why (if it helps), then what (at most 2 sentences)."""
    if understanding.needs is None:
        raise ValueError("nothing to ask: the date and time were understood")
    questions = _QUESTIONS[checked_language(lang)]
    question = questions[(understanding.needs, "ask")]
    why = questions.get((understanding.needs, understanding.reason or ""))
    return f"{why} {question}" if why else question


# --------------------------------------------------------------------------------------------
# Message rules
# --------------------------------------------------------------------------------------------

MAX_MESSAGE_CHARS = 250
MAX_SENTENCES = 2

_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_MONTH_WORDS = frozenset(m.lower() for names in MONTH_NAMES.values() for m in names)
_ABBREVIATION = re.compile(
    r"(?:\b(?:dr|prof|nr|st|str|ca|bzw|hr|fr|frau|mr|mrs|ms|vs|inkl|evtl|ggf|z\.b|u\.a|e\.g|i\.e))$",
    re.IGNORECASE,
)
_ORDINAL_BEFORE = re.compile(r"\b\d{1,2}$")
_CHECKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[{}\[\]<>]"), "braces or brackets"),
    (re.compile(r"[\"']\w+[\"']\s*:|\"\s*:\s*[\"\d\[{]"), "JSON"),
    (re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}:\d{2}|[tT]\d{2}:\d{2}"), "ISO date or timestamp"),
    (
        re.compile(
            r"\d{6,}|#\d|\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-|\b[a-z]+_[A-Za-z0-9]{6,}\b"
            r"|\bids?\b\s*[:=#]?\s*\d",
            re.IGNORECASE,
        ),
        "id-like token",
    ),
    (re.compile(r"https?://|`|\*\*"), "markup or URL"),
]


def _sentence_count(text: str) -> int:
    count = 0
    last_end = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[: m.start()]
        if m.group() == ".":
            if _ABBREVIATION.search(before):
                continue
            if _ORDINAL_BEFORE.search(before):
                following = text[m.end() :].split(maxsplit=1)
                word = following[0].strip(",.;:!?").lower() if following else ""
                if word in _MONTH_WORDS or (word and word[0].islower()):
                    continue  # "am 8. Dezember", "am 8. um 14 Uhr"
        count += 1
        last_end = m.end()
    if any(ch.isalnum() for ch in text[last_end:]):
        count += 1
    return count


def message_problems(text: str) -> list[str]:
    """Why `text` may not be spoken to a caller; empty when it follows the rules."""
    problems: list[str] = []
    if not text.strip():
        return ["empty"]
    if len(text) > MAX_MESSAGE_CHARS:
        problems.append(f"longer than {MAX_MESSAGE_CHARS} characters ({len(text)})")
    sentences = _sentence_count(text)
    if sentences > MAX_SENTENCES:
        problems.append(f"more than {MAX_SENTENCES} sentences ({sentences})")
    problems.extend(label for rx, label in _CHECKS if rx.search(text))
    return problems
