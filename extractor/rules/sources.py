"""Who a sentence attributes its figures to.

The codebook names the three common speakers canonically ("Ukrainian Air
Force", "Russian Defence Ministry", "Volodymyr Zelensky"); other speakers are
named as the article names them ("Vitali Klitschko", "State Emergency
Service"). A sentence with no speaker states its figures in its own voice.
"""

from __future__ import annotations

import re

from extractor.vocabulary import canonical_source

_SAY = r"(?:said|says|say|reported|reports|told|wrote|added|announced|stated|counted|put)"
_AIR_FORCE = re.compile(r"\b(?:Ukrain(?:e's|e\u2019s|ian)\s+)?[Aa]ir\s+[Ff]orces?\b(?!\s+commander)")
_DEFENCE = re.compile(
    r"\b(?P<who>Russia(?:'s|\u2019s|n)\s+|Ukrain(?:e's|e\u2019s|ian)\s+|Moscow's\s+)?(?:[Dd]efen[cs]e\s+[Mm]inistry|[Mm]inistry\s+of\s+[Dd]efen[cs]e)"
)
_ZELENSKY = re.compile(r"\bZelens(?:ky|kyy|kiy)\b")
_TITLED = re.compile(
    r"\b(?:[Gg]overnor|[Mm]ayor|[Hh]ead|[Cc]hief|[Mm]inister|[Ss]pokes(?:man|woman|person)|[Cc]ommander|"
    r"[Cc]hairman|[Pp]rosecutor|[Dd]irector)(?:\s+of\s+[^,]{3,60}?)?,?\s+(?P<name>[A-Z][a-z]+(?:[- ][A-Z][a-z]+){1,2})\b"
)
_NAMED_SAYS = re.compile(rf"\b(?P<name>[A-Z][a-z]+\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?:,[^,]{{3,80}},)?\s+{_SAY}\b")
_ORG = re.compile(
    rf"\b(?:the\s+)?(?P<org>(?:[A-Z][\w'-]*\s+){{0,4}}(?:Service|Police|police|Ministry|Office|[Aa]dministration|Staff|Council|Headquarters|headquarters|[Aa]uthorities))\s+{_SAY}\b"
)
_ACCORDING = re.compile(r"\baccording to (?:the\s+)?(?P<org>(?:[A-Z][\w'-]*\s*){1,5})")


def find_source(sentence: str) -> str | None:
    """The speaker of a sentence's figures, or None for the article's own voice."""
    if not re.search(rf"\b{_SAY}\b|according to|\bclaim", sentence):
        return None
    if _AIR_FORCE.search(sentence) and not re.search(r"Russian\s+air\s+force", sentence, re.I):
        return "Ukrainian Air Force"
    defence = _DEFENCE.search(sentence)
    if defence:
        who = defence.group("who") or ""
        return "Ukrainian Defence Ministry" if who.startswith("Ukrain") else "Russian Defence Ministry"
    if _ZELENSKY.search(sentence):
        return "Volodymyr Zelensky"
    for pattern in (_TITLED, _NAMED_SAYS):
        match = pattern.search(sentence)
        if match:
            return canonical_source(match.group("name"))
    for pattern in (_ORG, _ACCORDING):
        match = pattern.search(sentence)
        if match:
            return match.group("org").strip()
    return None
