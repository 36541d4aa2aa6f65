"""Places an attack struck, found with the gazetteer in ``data/gazetteer.json``.

A place counts only where the sentence puts the attack or its effects on it:
not where drones were merely shot down ("over the Voronezh region"), not
launch areas ("from the Kursk region"), not a city used as a speaker ("Moscow
says"). A region that only locates a settlement ("Afipsky in the Krasnodar
region") is that settlement's region, not a place of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from extractor.rules.resources import cue_pattern, load

_REGION_WORD = r"(?:[Rr]egions?|[Oo]blasts?|[Kk]rai|[Pp]rovinces?|Republic)"
_NOT_A_PLACE_AFTER = re.compile(
    r"^(?:-backed|-based|-controlled|\s+regime|\s+time\b|\s+(?:says?|said|claims?|claimed|denies|"
    r"denied|rejects?|rejected|accused|has said|tells|told|insists|responded|regional|city "
    r"(?:council|administration|military)|police|mayor|governor|authorities|officials|and Moscow|"
    r"remained|wants|would|will|could|must)\b|'s\s+(?:western|allies|governor|mayor|forces|"
    r"officials|military|government|defen[cs]e|air force|position)\b)",
    re.IGNORECASE,
)
_NOT_HIT_BEFORE = re.compile(
    r"(?:\b(?:over|above|from|toward|towards|heading for|approaching)\s+(?:the\s+)?(?:city\s+of\s+)?"
    r"(?:[\w-]+(?:,\s*|\s+and\s+)){0,6}$)",
    re.IGNORECASE,
)
_TITLE_AFTER = re.compile(
    r"^\s+(?:[Gg]overnor|head|[Hh]ead|authorities|officials|administration|[Aa]dministration|police|emergency)\b"
)
_LEAD_IN = re.compile(
    r"(?:\b(?:in|on|at|near|across|around|outside|of|into|to|struck|hit|hitting|hits|attacked|attacking|targeted|"
    r"targeting|pounded|pounds|shelled|striking|strike|strikes|attack|attacks|hammers|hammered|hammering|"
    r"rocked|over)\s+(?:the\s+)?(?:(?:central|southern|northern|eastern|western|city|town|village|port|capital|"
    r"regions?|oblast|suburb)\s+(?:of\s+)?)*(?:(?:[\w-]+,\s+)|(?:[\w-]+\s+and\s+)){0,6}$)",
    re.IGNORECASE,
)
_PASSIVE_HIT = re.compile(
    r"^(?:'s|\u2019s)?\s*(?:\w+\s+){0,2}?(?:was|were|has been|had been|is|came|bore|began|count|mourns|"
    r"itself was)\s+(?:\w+\s+){0,2}?(?:hit|struck|attacked|targeted|shelled|under|the brunt|rocked|"
    r"pounded|mourning|their dead)",
    re.IGNORECASE,
)
# "the Poltava Military Institute", "the Odesa port": a site named after its town lies in it.
_SITE_AFTER = re.compile(
    r"^\s+(?:[A-Z][\w'\u2019-]*\s+|oil\s+){0,3}?(?:Institute|Academy|University|[Aa]irport|[Aa]irbase|[Pp]ort|[Rr]efinery|"
    r"[Hh]ospital|[Pp]lant|[Ss]tation|[Oo]il\s+[Dd]epot|[Dd]epot|[Ff]actory|[Ss]hipyard|[Rr]ailway\s+[Ss]tation)\b"
)
_LOCATOR_AFTER = re.compile(r"^(?:,\s*|\s+in\s+(?:the\s+)?)$")
# A place that only measures where another lies: "150 kilometres north of Kyiv", "east of Dnipro".
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:kilomet(?:re|er)s?|km|miles)\s+(?:\w+\s+){0,2}?(?:of|from)|\b(?:(?:north|south)(?:-?(?:east|west))?|east|west)"
    r"(?:ern)?\s+(?:outskirts\s+)?of|\b(?:drive|distance)\s+from)\s+(?:the\s+(?:city\s+of\s+)?)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PlaceMention:
    """A gazetteer place named in a sentence, and whether it was hit there."""

    name: str
    kind: str
    country: str
    start: int
    end: int
    region: str | None = None
    hit: bool = True
    reference: bool = False


@cache
def _gazetteer() -> dict[str, Any]:
    return load("gazetteer")


def _names_regex(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


@cache
def _region_index() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    by_name: dict[str, str] = {}
    for canonical, entry in _gazetteer()["regions"].items():
        for name in entry["names"]:
            by_name[name.lower()] = canonical
    names = _names_regex([n for e in _gazetteer()["regions"].values() for n in e["names"]])
    single = re.compile(
        rf"\b(?:the\s+)?(?P<name>{names})(?:\s+|-)(?:{_REGION_WORD})\b|\b(?P<own>Crimea|Tatarstan|Bashkortostan|Dagestan|Chechnya)\b"
    )
    listed = re.compile(
        rf"\b(?:the\s+)?(?P<list>(?:{names})(?:,\s*(?:{names}))*,?\s+(?:and|or)\s+(?:{names}))\s+(?:{_REGION_WORD})\b"
        rf"|\b{_REGION_WORD}\s+of\s+(?P<list2>(?:(?:{names}),\s*)*(?:{names})(?:,?\s+(?:and|or)\s+(?:{names}))?)"
    )
    return single, listed, by_name


@cache
def _settlement_index() -> tuple[re.Pattern[str], dict[str, str]]:
    by_name: dict[str, str] = {}
    for canonical, entry in _gazetteer()["settlements"].items():
        for name in [canonical, *entry["aliases"]]:
            by_name[name.lower()] = canonical
    spellings = [n for c, e in _gazetteer()["settlements"].items() for n in [c, *e["aliases"]]]
    for alias, canonical in _gazetteer()["capital_aliases"].items():
        by_name[alias.lower()] = canonical
        spellings += [alias, alias[0].upper() + alias[1:]]
    # Case-sensitive on purpose: place names are capitalised, and a case-blind
    # alternation of hundreds of names is several times slower.
    pattern = re.compile(rf"\b(?:{_names_regex(spellings)})\b(?!-\w)")
    return pattern, by_name


@cache
def _district_index() -> tuple[re.Pattern[str], dict[str, str]]:
    by_name: dict[str, str] = {}
    spellings: list[str] = []
    for canonical, entry in _gazetteer()["districts"].items():
        for name in [canonical, *entry["aliases"]]:
            by_name[name.lower()] = canonical
            spellings.append(name)
    generic = r"[A-Z][a-z]+(?:skyi|skyy|sky|skiy|ivskyi|nyi|ska)"
    pattern = re.compile(
        rf"\b(?P<name>{_names_regex(spellings)}|{generic})(?=\s+(?:district|District|raion)\b)"
        rf"|\b(?P<known>{_names_regex(spellings)})\b"
    )
    return pattern, by_name


def region_country(region: str) -> str:
    """Whose ground a canonical region is: Ukraine, Russia or occupied."""
    entry = _gazetteer()["regions"].get(region)
    return str(entry["country"]) if entry else "unknown"


def _capitalised(text: str, start: int) -> bool:
    return text[start : start + 1].isupper() or text[start : start + 4].lower() == "the "


def find_places(sentence: str) -> list[PlaceMention]:
    """Every gazetteer place of one sentence, hit or not, without overlaps.

    Districts carry every city they may lie in until ``place_districts``
    picks the one the article names.
    """
    taken: list[tuple[int, int]] = []
    mentions = _regions(sentence, taken)
    mentions += _districts(sentence, taken)
    mentions += _settlements(sentence, taken)
    mentions.sort(key=lambda m: m.start)
    return _mark_locators(sentence, mentions)


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _regions(sentence: str, taken: list[tuple[int, int]]) -> list[PlaceMention]:
    single, listed, by_name = _region_index()
    found: list[PlaceMention] = []
    for match in listed.finditer(sentence):
        group = "list" if match.group("list") else "list2"
        names = re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", match.group(group))
        base = match.start(group)
        for name in names:
            canonical = by_name.get(name.strip().lower())
            if canonical:
                at = sentence.index(name, base)
                found.append(PlaceMention(canonical, "region", region_country(canonical), at, match.end()))
        taken.append((match.start(), match.end()))
    for match in single.finditer(sentence):
        if not _free(taken, match.start(), match.end()):
            continue
        name = match.group("name") or match.group("own")
        canonical = by_name.get(name.lower())
        if _TITLE_AFTER.match(sentence[match.end() :]):
            taken.append((match.start(), match.end()))
            continue
        if canonical and name[:1].isupper():
            found.append(PlaceMention(canonical, "region", region_country(canonical), match.start(), match.end()))
            taken.append((match.start(), match.end()))
    return found


def place_districts(mentions: list[PlaceMention], cities: frozenset[str]) -> list[PlaceMention]:
    """Districts given the city of theirs that the article names, if any."""
    placed: list[PlaceMention] = []
    for mention in mentions:
        if mention.kind == "district":
            candidates = (mention.region or "").split("|")
            known = [c for c in candidates if c]
            city = next((c for c in known if c in cities), None) if known else None
            if not known and len(cities) == 1:
                city = next(iter(cities))
            mention = replace(mention, region=city)
        placed.append(mention)
    return placed


def _districts(sentence: str, taken: list[tuple[int, int]]) -> list[PlaceMention]:
    pattern, by_name = _district_index()
    found: list[PlaceMention] = []
    for match in pattern.finditer(sentence):
        spelled = match.group("name") or match.group("known")
        if not _free(taken, match.start(), match.end()):
            continue
        canonical = by_name.get(spelled.lower(), spelled)
        entry = _gazetteer()["districts"].get(canonical)
        city = "|".join(entry["cities"]) if entry else None
        found.append(
            PlaceMention(spelled, "district", "Ukraine" if entry else "unknown", match.start(), match.end(), city)
        )
        taken.append((match.start(), match.end()))
    return found


def _settlements(sentence: str, taken: list[tuple[int, int]]) -> list[PlaceMention]:
    pattern, by_name = _settlement_index()
    found: list[PlaceMention] = []
    for match in pattern.finditer(sentence):
        if not _free(taken, match.start(), match.end()) or not _capitalised(sentence, match.start()):
            continue
        if _NOT_A_PLACE_AFTER.search(sentence[match.end() :]):
            continue
        if (
            match.group().lower() not in _gazetteer()["capital_aliases"]
            and re.search(r"\bthe\s+$", sentence[: match.start()], re.I)
            and not _SITE_AFTER.match(sentence[match.end() :])
        ):
            continue
        canonical = by_name[match.group().lower()]
        entry = _gazetteer()["settlements"][canonical]
        found.append(PlaceMention(canonical, "settlement", str(entry["country"]), match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in re.finditer(r"\b(?:city|town|village|settlement) of (?P<n>[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*)", sentence):
        if _free(taken, match.start("n"), match.end("n")):
            found.append(PlaceMention(match.group("n"), "settlement", "unknown", match.start("n"), match.end("n")))
            taken.append((match.start("n"), match.end("n")))
    return found


def _anchored(sentence: str, mention: PlaceMention) -> bool:
    """Whether the words around a name put something on the place itself."""
    before = sentence[max(0, mention.start - 60) : mention.start]
    after = sentence[mention.end : mention.end + 40]
    return bool(_LEAD_IN.search(before) or _PASSIVE_HIT.match(after) or (mention.start == 0 and after.startswith(":")))


def _mark_locators(sentence: str, mentions: list[PlaceMention]) -> list[PlaceMention]:
    """Regions right after a settlement locate it; places over/from are not hit."""
    marked: list[PlaceMention] = []
    for mention in mentions:
        lead = sentence[max(0, mention.start - 80) : mention.start]
        reference = bool(_REFERENCE_BEFORE.search(lead))
        hit = not reference and not _NOT_HIT_BEFORE.search(lead)
        hit = hit and (mention.kind == "district" or _anchored(sentence, mention))
        marked.append(replace(mention, hit=hit, reference=reference))
    for index, mention in enumerate(marked):
        if mention.kind != "region" or index == 0:
            continue
        before = marked[index - 1]
        if before.kind == "settlement" and _LOCATOR_AFTER.match(sentence[before.end : mention.start]):
            marked[index - 1] = replace(
                before, region=mention.name, country=_merge_country(before.country, mention.country)
            )
            marked[index] = replace(mention, hit=False)
    return marked


def _merge_country(settlement: str, region: str) -> str:
    return region if settlement == "unknown" else settlement


def sentence_hits(sentence: str) -> bool:
    """Whether a sentence puts an attack or its effects anywhere."""
    return bool(cue_pattern("hit").search(sentence))
