"""Counts as articles write them: digits, number words, vague amounts, hedges.

The codebook turns "eight" into 8, "dozens" into 12 ``at_least`` and reads
"more than" as ``more_than``; every rule that reads a figure goes through
here so that all of them agree. The words live in ``data/numbers.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from extractor.rules.resources import load


@dataclass(frozen=True)
class Count:
    """A parsed number with the hedge the article put on it."""

    value: int
    qualifier: str


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def number_regex() -> str:
    """A regex fragment with groups ``qual`` and ``num`` matching one count.

    Ordinals ("112th") and ages ("62-year-old") are excluded: neither counts
    anything a figure is about.
    """
    data = load("numbers")
    words = [w for w in data["units"] if w not in {"a", "an", "no"}]
    word = f"(?:(?:{_alternation(list(data['tens']))})(?:[- ](?:{_alternation(words)}))?|{_alternation(words)})"
    digits = r"\d{1,3}(?:,\d{3})+|\d+"
    vague = _alternation(list(data["vague"]))
    qual = _alternation(list(data["qualifiers"]))
    num = rf"(?:{vague}|all {word}|{digits}|{word})"
    return (
        rf"(?:(?P<qual>(?i:{qual}))\s+)?(?:a\s+record\s+|an?\s+additional\s+)?"
        rf"(?<![\w/.-])(?P<num>(?i:{num}))\b(?![-\u2010]year|\.\d|%|th\b|st\b|nd\b|rd\b|:\d)"
    )


def parse_number(text: str) -> Count | None:
    """The value and built-in qualifier of a bare number expression."""
    data = load("numbers")
    words = text.strip().lower()
    if words in data["vague"]:
        value, qualifier = data["vague"][words]
        return Count(int(value), str(qualifier))
    if words.startswith("all "):
        words = words[4:]
    digits = words.replace(",", "")
    if digits.isdigit():
        return Count(int(digits), "exact")
    return _parse_words(words, data)


def _parse_words(words: str, data: dict[str, dict[str, int]]) -> Count | None:
    total = 0
    for part in re.split(r"[- ]", words):
        if part in data["tens"]:
            total += data["tens"][part]
        elif part in data["units"]:
            total += data["units"][part]
        else:
            return None
    return Count(total, "exact")


def parse_count(qualifier_words: str | None, number_words: str) -> Count | None:
    """A count with an explicit hedge ("at least", "almost") taking precedence."""
    count = parse_number(number_words)
    if count is None:
        return None
    if qualifier_words:
        hedge = load("numbers")["qualifiers"].get(qualifier_words.lower())
        if hedge:
            return Count(count.value, str(hedge))
    return count
