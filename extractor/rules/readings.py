"""What each sentence of an article says: side, date, figures, places, damage.

A ``Reading`` is one sentence's worth of findings, before sentences are
grouped into events. Context flows forward: a sentence with no side or date
of its own takes its paragraph's, a "Kryvyi Rih, 4 April" heading dates the
sentences under it, and "That strike killed 31" belongs to the attack of the
sentence before.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from extractor.rules.casualties import Casualty, find_casualties
from extractor.rules.damage import find_damage
from extractor.rules.dates import DATE_EXPRESSION, DateMention, find_dates
from extractor.rules.places import PlaceMention, sentence_hits
from extractor.rules.resources import cue_pattern
from extractor.rules.sides import RUSSIA_ON_UKRAINE, Side, names_attacker, vote_side
from extractor.rules.sources import attribute_sentences
from extractor.rules.text import Sentence
from extractor.rules.weapons import LAUNCHED, WeaponFigure, find_weapon_figures, named_weapons

_DATELINE = re.compile(r"^[A-Z][A-Z .'\-]+,\s+[A-Z][a-z]+\.?\s+\d{1,2}\s*[.\-\u2013\u2014]\s")
_ANAPHOR = re.compile(r"\b(?:the|this|that) (?:city|town|village|region|capital|district|area|site)\b|\bthere\b", re.I)
_SPEECH = re.compile(r"\b(?:said|says|claimed|claims|reported|announced|told)\b")
_SECTION = re.compile(r"^(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b)[A-Z][\w' -]+,\s+(?P<date>.+)$")
_WEEKDAY_ONLY = re.compile(r"day\b", re.I)
_NATIONAL = re.compile(
    r"\b(?:across (?:Ukraine|the country|Russia)|nationwide|in total|in all|country-wide|"
    r"countrywide|throughout Ukraine|whole attack|overnight strikes)\b",
    re.I,
)
_NEGATED = re.compile(r"\bno (?:casualties|damage|injuries|danger)(?: or (?:\w+ )?(?:damage|casualties))?", re.I)
_REAL_HIT = re.compile(
    r"damag|debris|fragment|\bfires?\b|blaze|kill|injur|wound|hurt|struck|\bhit\b|explosion|blast|fell|collapsed|dead\b",
    re.I,
)


@dataclass
class Reading:
    """One sentence's findings, in the article's order."""

    sentence: Sentence
    text: str
    side: Side
    date: dt.date | None
    date_text: str | None
    explicit: bool
    same_as_main: bool
    background: bool
    section: bool
    weapons: list[WeaponFigure] = field(default_factory=list)
    named: list[WeaponFigure] = field(default_factory=list)
    casualties: list[Casualty] = field(default_factory=list)
    places: list[PlaceMention] = field(default_factory=list)
    context_place: PlaceMention | None = None
    damage: list[str] = field(default_factory=list)
    source: str | None = None
    national: bool = False
    attack: bool = False
    vague: bool = False
    names_attacker: bool = False


@dataclass
class _Context:
    reference: dt.date | None
    default_side: Side | None = None
    section_date: dt.date | None = None
    section_text: str | None = None
    previous: Reading | None = None
    paragraph_places: list[PlaceMention] = field(default_factory=list)
    recent_places: list[PlaceMention] = field(default_factory=list)
    last_launched: tuple[str, str | None] | None = None


def read_sentences(
    sentences: list[Sentence], reference: dt.date | None, mentions: list[list[PlaceMention]]
) -> list[Reading]:
    """Readings of every sentence; headings that only date a section are consumed.

    ``mentions`` are each sentence's places, found once by the caller.
    """
    context = _Context(reference)
    readings: list[Reading] = []
    speakers = attribute_sentences(sentences)
    for sentence, places, speaker in zip(sentences, mentions, speakers, strict=True):
        if _is_section_heading(sentence, context):
            continue
        reading = _read(sentence, places, context)
        reading.source = speaker
        if context.default_side is None and vote_side(reading.text, reading.places):
            context.default_side = reading.side
        readings.append(reading)
        context.previous = reading
    return readings


def _is_section_heading(sentence: Sentence, context: _Context) -> bool:
    """A "Sumy, 13 April" line: it dates what follows and is no statement itself."""
    if not sentence.heading:
        return False
    match = _SECTION.match(sentence.text)
    if not match or not DATE_EXPRESSION.fullmatch(match.group("date").strip()):
        return False
    dates = find_dates(match.group("date"), context.reference)
    if dates and dates[0].date:
        context.section_date, context.section_text = dates[0].date, dates[0].text
        return True
    return False


def _analysed_text(sentence: Sentence) -> str:
    """The sentence up to "in response to", which names another attack.

    A wire dateline ("KYIV, March 22 -") is blanked, not cut, so offsets into
    the analysed text stay offsets into the sentence.
    """
    cut = cue_pattern("cut_after").search(sentence.text)
    text = sentence.text[: cut.start()] if cut else sentence.text
    dateline = _DATELINE.match(text)
    return " " * dateline.end() + text[dateline.end() :] if dateline else text


def _read(sentence: Sentence, mentions: list[PlaceMention], context: _Context) -> Reading:
    text = _analysed_text(sentence)
    blank = len(text) - len(text.lstrip(" "))
    places = [p for p in mentions if p.start >= blank and p.end <= len(text)]
    previous = context.previous
    same_paragraph = previous is not None and previous.sentence.paragraph == sentence.paragraph
    if not same_paragraph:
        context.paragraph_places = []
    if sentence.heading:
        context.recent_places = []
    reading = Reading(sentence, text, RUSSIA_ON_UKRAINE, None, None, False, False, False, False)
    reading.attack = sentence_hits(text)
    clean = _NEGATED.sub(" ", text)
    intercept_only = bool(cue_pattern("intercept").search(clean)) and not _REAL_HIT.search(clean)
    reading.places = [p for p in places if p.hit and reading.attack and not intercept_only]
    reading.context_place = context.paragraph_places[-1] if context.paragraph_places else None
    if reading.context_place is None and context.recent_places and _ANAPHOR.search(text):
        reading.context_place = context.recent_places[-1]
    context.paragraph_places += [p for p in places if not p.reference]
    context.recent_places += [p for p in places if p.hit and p.kind != "region"]
    reading.weapons = find_weapon_figures(text, context.last_launched)
    launched = [w for w in reading.weapons if w.field == LAUNCHED]
    if launched:
        context.last_launched = (launched[0].category, launched[0].model)
    reading.named = [w for w in named_weapons(text) if reading.attack or reading.weapons]
    reading.casualties = find_casualties(text)
    if intercept_only or (places and not reading.places):
        reading.casualties = [c for c in reading.casualties if c.count.value > 0]
    reading.damage = find_damage(text)
    reading.national = bool(_NATIONAL.search(text)) or bool(launched)
    reading.background = bool(cue_pattern("background").search(text))
    _date(reading, find_dates(text, context.reference), context)
    _side(reading, places, context, same_paragraph)
    return reading


def _date(reading: Reading, dates: list[DateMention], context: _Context) -> None:
    """The sentence's own date, else its section's, else its attack's before it."""
    previous = context.previous
    if cue_pattern("continuation").search(reading.text) and previous is not None:
        _copy_date(reading, previous)
        reading.background = previous.background
        return
    anchor = _first_figure(reading)
    chosen = _nearest(dates, anchor, reading.text)
    if chosen is not None and context.section_date is not None and _WEEKDAY_ONLY.search(chosen.text):
        chosen = None
    if chosen is not None:
        reading.date, reading.date_text = chosen.date, chosen.text
        reading.explicit, reading.same_as_main = True, chosen.same_as_main
        reading.background = reading.background or chosen.vague
        reading.vague = chosen.vague
    elif context.section_date is not None:
        reading.date, reading.date_text, reading.explicit = context.section_date, context.section_text, True
        reading.section = True
    elif previous is not None and previous.sentence.paragraph == reading.sentence.paragraph and previous.explicit:
        # "On Tuesday, bombs hit Vilniansk. Two people were killed." The toll is Tuesday's.
        _copy_date(reading, previous)
        reading.background = previous.background


def _copy_date(reading: Reading, previous: Reading) -> None:
    reading.date, reading.date_text, reading.vague = previous.date, previous.date_text, previous.vague
    reading.explicit, reading.same_as_main = previous.explicit, previous.same_as_main


def _first_figure(reading: Reading) -> int | None:
    starts = [w.start for w in reading.weapons if w.count] + [c.start for c in reading.casualties]
    return min(starts) if starts else None


def _nearest(dates: list[DateMention], anchor: int | None, text: str) -> DateMention | None:
    """The date nearest before the first figure, or one after it in the same clause."""
    if not dates:
        return None
    if anchor is None:
        return dates[0]
    before = [d for d in dates if d.start <= anchor and not _SPEECH.search(text[d.end : anchor])]
    if before:
        return before[-1]
    return dates[0] if not re.search(r"[,;]", text[anchor : dates[0].start]) else None


def _side(reading: Reading, places: list[PlaceMention], context: _Context, same_paragraph: bool) -> None:
    voted = vote_side(reading.text, [p for p in places if p.hit])
    reading.names_attacker = names_attacker(reading.text)
    if voted is not None:
        reading.side = voted
    elif same_paragraph and context.previous is not None:
        reading.side = context.previous.side
    elif context.default_side is not None:
        reading.side = context.default_side
