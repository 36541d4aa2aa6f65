"""Weapon counts: what was launched and what was intercepted, by category and model.

A count is a number followed by a weapon noun ("430 drones", "21 of 23 Kh-101
and Kh-555 cruise missiles", "55 of the Shaheds"). Whether it was launched or
intercepted is read from the nearest verb in its clause ("launched", "shot
down"); a count with no such verb is not a figure of the attack. Counts tied
to a region ("29 over the Voronezh Region") are per-region intercepts, which
the codebook leaves out. A named model fixes the category; a count covering
several models of one category goes on the category, and one covering several
categories on ``all``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from extractor.rules.numbers import Count, number_regex, parse_count
from extractor.rules.resources import cue_pattern
from extractor.vocabulary import canonical_model, model_category

LAUNCHED = "launched"
INTERCEPTED = "intercepted"

_STOP = (
    r"(?:were|was|is|are|had|have|has|been|by|of|at|in|on|from|into|over|to|the|that|which|who|"
    r"people|persons|it|they|them|its|their|per|as|for|with|said|says|and\s+\d)\b"
)
_MODEL_HEAD_END = (
    r"(?=\s*[,.;:)]|\s+[\u2013\u2014-]\s|\s*$|\s+(?:(?:and|or)\s+(?:\d|[a-z])|(?:were|was|had|have|launched|fired|shot|"
    r"destroyed|intercepted|downed|at|on|from|in|over|into|towards|that|which)\b))"
)
# A weapon noun that modifies another noun counts something else ("625 missile systems").
_NOT_A_COUNT = (
    r"\s+(?:systems?|launchers?|complex(?:es)?|production|strikes?|attacks?|raids?|defen[cs]es?|sites?|"
    r"units?|batteries|programmes?|programs?|components?|factor(?:y|ies)|plants?|operators?|crews?|warnings?)\b"
)
# An unlisted model keeps the article's spelling: an all-capitals name before the noun ("JDAM bombs").
_UNLISTED_MODEL = re.compile(
    r"\b(?!(?:US|UK|EU|UAVs?|FPV|KABs?|NATO|SMO|GMT|UN)\b)[A-Z][A-Z0-9]{2,}(?:-[A-Z0-9]+)*\b(?!-)"
)
_HEAD_CATEGORY = [
    (r"drones?|UAVs?|unmanned aerial vehicles?|unmanned aircraft|loitering munitions?", "drone"),
    (r"missiles?", "missile"),
    (r"rockets?", "rocket"),
    (r"(?:guided|glide|aerial|air|gliding)\s+bombs?|KABs?", "guided_bomb"),
    (r"(?:artillery\s+)?shells|mortar rounds", "artillery"),
    (r"aerial weapons|air attack weapons|means of air attack|aerial targets|air targets|targets|weapons", "all"),
]
_MODIFIER_CATEGORY = [
    (r"\bcruise\b", "cruise_missile"),
    (r"\b(?:aero)?ballistic\b", "ballistic_missile"),
    (r"\banti-aircraft\b|\bsurface-to-air\b|\bguided\b", "missile"),
]


@dataclass(frozen=True)
class WeaponFigure:
    """One weapon named in a sentence, with a count when the article gives one."""

    category: str
    model: str | None
    field: str | None
    count: Count | None
    start: int
    end: int
    attacker_hint: str | None = None
    covers: tuple[tuple[str, str | None], ...] = ()


@cache
def _model_aliases() -> list[str]:
    raw = resources.files("extractor").joinpath("data/vocabulary.json").read_text("utf-8")
    names: list[str] = []
    for canonical, entry in json.loads(raw)["models"].items():
        names += [canonical, *entry["aliases"]]
    return sorted(set(names), key=len, reverse=True)


@cache
def model_regex() -> str:
    """Any listed model spelling, plural or joined with a slash ("Kh-101/Kh-555")."""
    one = "|".join(re.escape(n) for n in _model_aliases()) + r"|(?:Kh|X)-\d+[A-Z0-9]*"
    return rf"(?:{one})(?:s\b)?(?:/(?:{one}|\d+))*"


@cache
def _figure_pattern() -> re.Pattern[str]:
    heads = "|".join(h for h, _ in _HEAD_CATEGORY)
    mods = rf"(?:(?!{_STOP})(?:{model_regex()}|[A-Za-z][\w/'\u2019.-]*)\s+){{0,6}}?"
    total = number_regex().replace("qual", "tqual").replace("num", "tnum")
    return re.compile(
        rf"{number_regex()}\s+(?:(?:out\s+)?of\s+(?:the\s+|them\b|these\b|those\b)?\s*(?:{total}\s+)?)?"
        rf"(?P<mods>{mods})(?P<head>(?:{heads})\b(?!-)(?!{_NOT_A_COUNT})|(?:{model_regex()}){_MODEL_HEAD_END})"
        rf"(?P<more>(?:,?\s+(?:and|or)\s+(?:(?:attack|strike|combat|kamikaze)\s+)?(?:{heads})\b)?)"
    )


@cache
def _of_which_pattern() -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:of\s+(?:which|them|these)|and)\s+{number_regex()}\s+(?:were|was|have been|had been)\s+"
        rf"(?:{cue_pattern('intercept').pattern})",
        re.IGNORECASE,
    )


def categories_of(words: str) -> list[tuple[str, str | None]]:
    """The (category, model) pairs a weapon phrase names, in order."""
    found: list[tuple[str, str | None]] = []
    for match in re.finditer(model_regex(), words):
        for part in _split_models(match.group()):
            canonical = canonical_model(part) or (part if re.match(r"(?:Kh|X)-\d", part) else None)
            if canonical:
                category = model_category(canonical) or "missile"
                if (category, canonical) not in found:
                    found.append((category, canonical))
    return found


def _split_models(text: str) -> list[str]:
    whole = re.sub(r"s$", "", text)
    if canonical_model(whole) or canonical_model(text):
        return [whole if canonical_model(whole) else text]
    parts = [re.sub(r"(?<=\w)s$", "", p) for p in text.split("/")]
    return [p for p in parts if not p.isdigit()]


def _word_categories(mods: str, head: str) -> set[str]:
    cats: set[str] = set()
    for pattern, category in _HEAD_CATEGORY:
        if re.fullmatch(pattern, head.strip(), re.IGNORECASE):
            cats.add(category)
    if "missile" in cats:
        named = {c for p, c in _MODIFIER_CATEGORY if re.search(p, mods, re.IGNORECASE)}
        if named:
            cats = (cats - {"missile"}) | named
    return cats


def _entries(
    mods: str, head: str, more: str, tail: str = ""
) -> tuple[str, str | None, tuple[tuple[str, str | None], ...]]:
    """The (category, model) a count goes on, and the named parts it covers.

    ``tail`` is what follows the noun: "11 rockets of the HIMARS system" counts HIMARS.
    """
    models = categories_of(mods + " " + head) or categories_of(_model_tail(tail))
    words = (
        _word_categories(mods, head) | _word_categories(mods, more.split()[-1])
        if more
        else _word_categories(mods, head)
    )
    model_cats = {c for c, _ in models}
    categories = model_cats | (words - {"missile"} if model_cats else words)
    if len(categories) > 1 or "all" in categories:
        covers = tuple(models) + tuple((c, None) for c in sorted(categories - model_cats - {"all"}))
        return "all", None, covers
    category = next(iter(categories)) if categories else "missile"
    if len(models) == 1:
        return category, models[0][1], ()
    if not models:
        unlisted = _UNLISTED_MODEL.findall(mods)
        if len(unlisted) == 1 and category != "all":
            return category, unlisted[0], ()
    return category, None, tuple(models)


def _model_tail(tail: str) -> str:
    match = re.match(rf"\s+of\s+(?:the\s+)?(?:[\w-]+\s+){{0,2}}?(?P<model>{model_regex()})", tail)
    return match.group("model") if match else ""


def find_weapon_figures(sentence: str, previous: tuple[str, str | None] | None = None) -> list[WeaponFigure]:
    """Counted weapons of one sentence, each launched or intercepted."""
    figures: list[WeaponFigure] = []
    if not re.search(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|both|several|dozens?|hundreds|tens|few)\b",
        sentence,
        re.I,
    ) or cue_pattern("aggregate").search(sentence):
        return figures
    for match in _figure_pattern().finditer(sentence):
        if _per_region(sentence[match.end() :]) or _is_context(sentence[: match.start()]):
            continue
        tail = sentence[match.end() : match.end() + 60]
        category, model, covers = _entries(match.group("mods"), match.group("head"), match.group("more"), tail)
        hint = _attacker_hint(match.group("mods"))
        role = _role(sentence, match.start(), match.end())
        if match.group("tnum"):
            total = parse_count(match.group("tqual"), match.group("tnum"))
            if total:
                figures.append(WeaponFigure(category, model, LAUNCHED, total, match.start(), match.end(), hint, covers))
            if role != INTERCEPTED:
                continue
        elif re.search(r"\bof\s+the\b", match.group()) and role != INTERCEPTED:
            continue
        count = parse_count(match.group("qual"), match.group("num"))
        if count and role:
            figures.append(WeaponFigure(category, model, role, count, match.start(), match.end(), hint, covers))
    figures += _of_them(sentence, figures, previous)
    return figures


def _of_them(sentence: str, figures: list[WeaponFigure], previous: tuple[str, str | None] | None) -> list[WeaponFigure]:
    """ "92 of them", "of which 25 were shot down": intercepts of the last total."""
    found: list[WeaponFigure] = []
    launched = [f for f in figures if f.field == LAUNCHED]
    target = (launched[-1].category, launched[-1].model) if launched else previous
    if target is None:
        return found
    pattern = rf"{number_regex()}\s+of\s+(?:them|these|those)\b"
    for match in re.finditer(pattern, sentence):
        if _role(sentence, match.start(), match.end()) == INTERCEPTED:
            count = parse_count(match.group("qual"), match.group("num"))
            if count:
                found.append(WeaponFigure(target[0], target[1], INTERCEPTED, count, match.start(), match.end()))
    of_the = re.search(
        rf"\b[Oo]f\s+the\s+(?P<tnum>\d[\d,]*)\s[^;]*?\b(?:{cue_pattern('intercept').pattern})\s+{number_regex()}(?!\s+of)",
        sentence,
    )
    if of_the and launched:
        count = parse_count(of_the.group("qual"), of_the.group("num"))
        if count and not any(f.field == INTERCEPTED for f in figures):
            found.append(WeaponFigure(target[0], target[1], INTERCEPTED, count, of_the.start(), of_the.end()))
    for match in _of_which_pattern().finditer(sentence):
        count = parse_count(match.group("qual"), match.group("num"))
        if count and launched and not any(f.start <= match.start("num") < f.end for f in figures):
            found.append(WeaponFigure(target[0], target[1], INTERCEPTED, count, match.start(), match.end()))
    return found


def _per_region(after: str) -> bool:
    """ "29 over the Voronezh region" is one region's share; "31 over the Belgorod, Kursk and
    Bryansk regions" is the whole count."""
    if re.match(
        r"^[^,.;]{0,60}?\b(?:over|above)\s+(?:the\s+)?[A-Z][\w-]+(?:,\s+[A-Z][\w-]+)*,?\s+and\s+[A-Z][\w-]+\s+regions\b",
        after,
    ):
        return False
    return bool(
        re.match(
            r"^\s*(?:(?:were|was|had been|have been|being)\s+)?(?:\w+\s+){0,3}?(?:over|above|around|near)\s+"
            r"(?:the\s+(?:[A-Z]|region|city|capital)|[A-Z])",
            after,
        )
    )


def _is_context(before: str) -> bool:
    return bool(
        re.search(
            r"(?:previous record of|record of|up from|compared with|compared to|instead of)\s+(?:\w+\s+)?$", before
        )
    )


def _attacker_hint(mods: str) -> str | None:
    if re.search(r"\bUkrain(?:ian|e's)\b", mods):
        return "Ukraine"
    if re.search(r"\bRussia(?:n|'s)\b", mods):
        return "Russia"
    return None


def _role(sentence: str, start: int, end: int) -> str | None:
    """Launched or intercepted, from the nearest cue verb in the figure's clause."""
    clause_start = max(sentence.rfind(";", 0, start), sentence.rfind(" but ", 0, start)) + 1
    clause_end = min([i for i in (sentence.find(";", end), sentence.find(" but ", end)) if i >= 0] or [len(sentence)])
    after = sentence[end:clause_end]
    passive = re.match(
        rf"^[^,;]{{0,40}}?\b(?:were|was|have been|had been|being|are)\s+(?:\w+\s+)?(?:{cue_pattern('intercept').pattern})",
        after,
        re.IGNORECASE,
    )
    if passive:
        return INTERCEPTED
    before = sentence[clause_start:start]
    cues = [(m.end(), INTERCEPTED) for m in cue_pattern("intercept").finditer(before)]
    cues += [(m.end(), LAUNCHED) for m in cue_pattern("launch").finditer(before)]
    if cues:
        return max(cues)[1]
    forward = [(m.start(), INTERCEPTED) for m in cue_pattern("intercept").finditer(after)]
    forward += [(m.start(), LAUNCHED) for m in cue_pattern("launch").finditer(after)]
    if forward:
        return min(forward)[1]
    # The counted weapons are the subject of a strike verb: "three missiles hit the city".
    # A singular "one missile struck" is no count, as "a missile struck" is none.
    plural = re.search(r"s\W*$", sentence[start:end])
    subject = re.match(rf"^[^,;]{{0,80}}?\b(?:{cue_pattern('launch_after').pattern})\b", after, re.IGNORECASE)
    return LAUNCHED if subject and plural else None


def named_weapons(sentence: str) -> list[WeaponFigure]:
    """Weapons the sentence names without a count (models and missile kinds)."""
    named: list[WeaponFigure] = []
    for category, model in categories_of(sentence):
        named.append(WeaponFigure(category, model, None, None, 0, 0))
    for pattern, category in (
        (r"\bballistic missiles?\b", "ballistic_missile"),
        (r"\bcruise missiles?\b", "cruise_missile"),
        (r"\b(?:guided|glide) (?:aerial )?bombs?\b", "guided_bomb"),
        (r"\b(?:drones?|UAVs?)\b", "drone"),
        (r"\bmissiles?\b", "missile"),
    ):
        if re.search(pattern, sentence, re.IGNORECASE):
            named.append(WeaponFigure(category, None, None, None, 0, 0))
    return named
