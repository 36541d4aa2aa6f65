"""Who attacked whom in a sentence.

Russian strikes on Ukraine are the default of this news; a sentence is a
Ukrainian strike on Russia when it says so ("Ukrainian drones", "the Kiev
regime", "Ukraine struck") or puts the attack on Russian ground. Each cue
votes; a sentence with none takes its paragraph's or the article's side.
"""

from __future__ import annotations

import re

from extractor.rules.places import PlaceMention

RUSSIA_ON_UKRAINE = ("Russia", "Ukraine")
UKRAINE_ON_RUSSIA = ("Ukraine", "Russia")
Side = tuple[str, str]

_ON_UKRAINE = re.compile(
    r"\bRussia(?:n|'s|\u2019s)?\s+(?:\w+\s+){0,2}(?:missiles?|drones?|strikes?|attacks?|barrage|bombardment|"
    r"shelling|air\s+strikes?|forces\s+(?:attacked|struck|hit|launched|fired))\b"
    r"|\b(?:Russia|Moscow)\s+(?:has\s+|had\s+)?(?:launched|fired|attacked|struck|hit|pounded|pounds|targeted|"
    r"hammered|hammers|used|sent)\b|\bat Ukraine\b|\bon Ukraine\b|\bUkrain(?:ian|e's)\s+air\s+(?:force|defen[cs]es?)\b",
    re.IGNORECASE,
)
_ON_RUSSIA = re.compile(
    r"\bUkrain(?:ian|e's|e\u2019s)\s+(?:\w+\s+){0,2}(?:drones?|UAVs?|unmanned|missiles?|strikes?|attacks?|"
    r"shelling|aircraft-type)\b|\bUkraine\s+(?:has\s+|had\s+)?(?:struck|hit|attacked|launched|fired|targeted)\b"
    r"|\bKi(?:e|y)v regime\b|\bon Russian (?:territory|soil)\b|\binside Russia\b|\bRussian air defen[cs]es?\b"
    r"|\bRussia(?:n|'s)\s+(?:on-duty\s+)?air defen[cs]e"
    r"|\bUkrain(?:ian|e's|e\u2019s)\s+(?:forces|troops|army|military|armed forces)\s+(?:have\s+|has\s+|had\s+)?"
    r"(?:fired|launched|struck|hit|attacked|shelled|targeted|shot)\b|\b(?:Russian|Moscow)-(?:occupied|installed|appointed)\b",
    re.IGNORECASE,
)

# "Ukrainian long-range drones": a hyphenated modifier names the side too, but
# is too loose to vote with ("targeted Ukrainian ground-based missile systems").
_MODIFIED_WEAPON = re.compile(
    r"\b(?:Ukrainian|Russian|Ukraine(?:'s|\u2019s)|Russia(?:'s|\u2019s))\s+(?:[\w-]+\s+){0,2}(?:drones?|UAVs?|missiles?)\b", re.IGNORECASE
)


def vote_side(sentence: str, places: list[PlaceMention]) -> Side | None:
    """The side a sentence's own words and hit places point to, if any."""
    to_ukraine = len(_ON_UKRAINE.findall(sentence))
    to_russia = len(_ON_RUSSIA.findall(sentence))
    for place in places:
        if place.hit and place.country == "Ukraine":
            to_ukraine += 1
        elif place.hit and place.country == "Russia":
            to_russia += 1
    if to_ukraine > to_russia:
        return RUSSIA_ON_UKRAINE
    if to_russia > to_ukraine:
        return UKRAINE_ON_RUSSIA
    return None


def names_attacker(sentence: str) -> bool:
    """Whether a sentence's own words say who struck ("Russian missiles", "the Kiev regime").

    Places alone tell the target, not the attacker. Strikes on Russia often go
    unclaimed, so an earlier attack on Russia that the article mentions without
    naming a side has the codebook's ``unknown`` attacker; an attack on Ukraine
    keeps Russia, the side every such article names as the one striking it.
    """
    return bool(_ON_UKRAINE.search(sentence) or _ON_RUSSIA.search(sentence) or _MODIFIED_WEAPON.search(sentence))


def side_of_hint(attacker: str | None) -> Side | None:
    """The side named by a weapon's own adjective ("Ukrainian drones")."""
    if attacker == "Ukraine":
        return UKRAINE_ON_RUSSIA
    if attacker == "Russia":
        return RUSSIA_ON_UKRAINE
    return None
