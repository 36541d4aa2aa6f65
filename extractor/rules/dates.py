"""Dates of attacks from the article's own words.

Articles date attacks relative to when they were written ("overnight", "on
Friday", "Monday's barrage") or absolutely ("Nov. 19", "4 April"), and a
dateline ("MOSCOW, March 13.") tells when they were written. Weekdays resolve
to the most recent such day on or before the reference date, as the codebook
says; without a reference date they stay null with their words kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = (
    r"(?P<month>Jan(?:uary|\.)?|Feb(?:ruary|\.)?|March|Mar\.|April|Apr\.|May|June|Jun\.|July|Jul\.|"
    r"August|Aug\.?|Sept(?:ember|\.)?|Sep\.|October|Oct\.?|November|Nov\.?|December|Dec\.?)"
)
_MONTH_DAY = rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}}))?"
_DAY_MONTH = rf"\b(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH.replace('month', 'month2')}(?:,?\s+(?P<year2>\d{{4}}))?"
_WEEKDAY = (
    r"(?P<last>last\s+)?(?:overnight\s+(?:into|to)\s+|(?:the\s+)?night\s+(?:into|to)\s+)?"
    r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
)
_RELATIVE = (
    r"(?P<relative>overnight|last night|during the night|this morning|early today|earlier today|"
    r"yesterday|over the past day|past 24 hours|the same night|the same day|that night)"
)
DATE_EXPRESSION = re.compile(rf"{_MONTH_DAY}|{_DAY_MONTH}|{_WEEKDAY}|{_RELATIVE}", re.IGNORECASE)
# A past month or week with no day: an earlier attack the article cannot date to the day.
_VAGUE = re.compile(
    r"\b(?:last|earlier (?:this|in)|in (?:early|late|mid-))\s+(?:week|month|"
    r"January|February|March|April|May|June|July|August|September|October|November|December)\b(?!\s+\d)",
    re.IGNORECASE,
)
_DATELINE = re.compile(rf"^[A-Z][A-Z .'\-]+,\s+{_MONTH_DAY}\s*[.\-\u2013\u2014(]")
_EXCLUDED_BEFORE = re.compile(
    r"(?:\b(?:said|says|reported|told|announced|declared|claimed|added|stated|wrote|mourning|since|"
    r"until|from|by|as of)\s+(?:(?:early|late|on|on\s+the)\s+)*)$",
    re.IGNORECASE,
)
_EXCLUDED_AFTER = re.compile(
    r"^,?\s*(?:\d{1,2}\s+\w+,?\s*)?(?:declared|will|was declared|a day of mourning|it said|it claimed)", re.IGNORECASE
)
SAME_AS_MAIN = "same"


@dataclass(frozen=True)
class DateMention:
    """A date expression in a sentence, resolved where the reference allows."""

    text: str
    start: int
    end: int
    date: dt.date | None
    same_as_main: bool = False
    vague: bool = False


def dateline_date(article: str, published: dt.date | None) -> dt.date | None:
    """The date of a wire dateline ("KYIV, March 22 -") at the top of the story."""
    for line in article.splitlines()[:6]:
        match = _DATELINE.search(line.strip())
        if match:
            found = _month_day(match.group("month"), match.group("day"), match.group("year"), published)
            return None if found == _FUTURE else found
    return None


def find_dates(sentence: str, reference: dt.date | None) -> list[DateMention]:
    """Date expressions of one sentence, minus those that date speech or mourning."""
    found: list[DateMention] = []
    for match in DATE_EXPRESSION.finditer(sentence):
        if re.search(r"\bbetween\s+(?:[\w.:]+\s+){0,3}$|\ba\s+$", sentence[: match.start()]):
            continue
        since_when = re.match(r"\s*,?\s*when\b", sentence[match.end() :])
        if (_EXCLUDED_BEFORE.search(sentence[: match.start()]) and not since_when) or _EXCLUDED_AFTER.search(
            sentence[match.end() :]
        ):
            continue
        if match.group("relative") and match.group("relative").lower() in {
            "the same night",
            "the same day",
            "that night",
        }:
            found.append(DateMention(match.group(), match.start(), match.end(), None, True))
            continue
        resolved = resolve(match, reference)
        if resolved == _FUTURE:
            continue
        found.append(DateMention(match.group(), match.start(), match.end(), resolved))
    for match in _VAGUE.finditer(sentence):
        if not _EXCLUDED_BEFORE.search(sentence[: match.start()]):
            found.append(DateMention(match.group(), match.start(), match.end(), None, vague=True))
    found.sort(key=lambda d: d.start)
    return found


# Stands for "after the reference date" (a day of mourning announced ahead).
_FUTURE = dt.date.max


def resolve(match: re.Match[str], reference: dt.date | None) -> dt.date | None:
    """The calendar date of one matched expression (``_FUTURE`` if after the reference)."""
    if match.group("month"):
        return _month_day(match.group("month"), match.group("day"), match.group("year"), reference)
    if match.group("month2"):
        return _month_day(match.group("month2"), match.group("day2"), match.group("year2"), reference)
    if reference is None:
        return None
    if match.group("weekday"):
        return weekday_on_or_before(match.group("weekday"), reference, bool(match.group("last")))
    if match.group("relative").lower() == "yesterday":
        return reference - dt.timedelta(days=1)
    return reference


def weekday_on_or_before(name: str, reference: dt.date, strictly_before: bool = False) -> dt.date:
    """The most recent ``name`` day on or before ``reference``."""
    back = (reference.weekday() - _WEEKDAYS.index(name.lower())) % 7
    if back == 0 and strictly_before:
        back = 7
    return reference - dt.timedelta(days=back)


def _month_day(month: str, day: str, year: str | None, reference: dt.date | None) -> dt.date | None:
    number = _MONTHS[month[:3].lower()]
    try:
        if year:
            return dt.date(int(year), number, int(day))
        if reference is None:
            return None
        candidate = dt.date(reference.year, number, int(day))
    except ValueError:
        return None
    if candidate <= reference + dt.timedelta(days=1):
        return candidate
    if (candidate - reference).days > 60:
        return candidate.replace(year=reference.year - 1)
    return _FUTURE
