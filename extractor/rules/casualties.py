"""Deaths and injuries as the article states them.

Tolls come in many shapes: "killing at least five people", "15 killed, 139
injured", "the toll has risen to 40", "a woman was killed", "a mother and a
young child were killed", "no casualties". Soldiers claimed killed by the
attacker ("more than 60 servicemen") are not civilian tolls and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from extractor.rules.numbers import Count, number_regex, parse_count

KILLED = "killed"
INJURED = "injured"

_PERSON = (
    r"(?:people|persons|civilians|residents|children|child|women|woman|men|man|adults|adult|"
    r"teenagers?|boys?|girls?|pensioners?|passengers|employees|workers|others|individuals|"
    r"rescuers|firefighters|medics|journalists|citizens|victims|person|more(?:\s+people)?|"
    r"(?:more\s+)?others)"
)
_ADJ = r"(?:(?!were\b|was\b|and\b|had\b|have\b)[a-z][\w'-]*\s+){0,3}?"
_KILL = r"(?:killed|dead|died|perished|lost their lives)"
_HURT = r"(?:injured|wounded|hurt)"
_AUX = r"(?:were|was|have been|has been|had been|are|is|been|have|had)\s+(?:\w+\s+){0,3}?"
_ONE = r"(?:a|an|one|her|his|their|its)\s+(?:[\w-]+\s+){0,2}?(?:woman|man|person|child|girl|boy|teenager|mother|father|driver|resident|civilian|pensioner|employee|worker|son|daughter|baby|doctor|nurse|grandmother|grandfather|teacher|pupil|student|passenger|firefighter|rescuer|volunteer|journalist|police officer|policeman|farmer|guard|medic|paramedic|husband|wife|infant|toddler|teenager|youth|local)"


@dataclass(frozen=True)
class Casualty:
    """A death or injury count in a sentence, with its span there."""

    kind: str
    count: Count
    start: int
    end: int


def _kind(word: str) -> str:
    lower = word.lower()
    return KILLED if re.fullmatch(_KILL, lower) or lower.startswith(("kill", "claim", "took", "taking")) else INJURED


@cache
def _patterns() -> list[re.Pattern[str]]:
    num = number_regex()
    return [
        # killing at least five people / injuring nine others / killed 19 people
        re.compile(
            rf"\b(?P<verb>kill(?:ing|ed|s)|injur(?:ing|ed|es)|wound(?:ing|ed|s))\s+(?:(?!and\b)\w+\s+){{0,3}}?{num}\s+{_ADJ}{_PERSON}\b",
            re.I,
        ),
        re.compile(
            rf"\b(?P<verb>kill(?:ing|ed)|injur(?:ing|ed)|wound(?:ing|ed))\s+{num}(?=\s*(?:[,.;]|and\b|$))", re.I
        ),
        # claimed the lives of three people / took the lives of two
        re.compile(rf"\b(?P<verb>claim(?:ed|ing)|took|taking)\s+the\s+lives\s+of\s+{num}\b", re.I),
        # 42 people, four of them children, had been killed / more than 70 were injured
        re.compile(rf"{num}\s+(?:{_ADJ}{_PERSON}\s*)?(?:,[^,]{{1,40}},\s*)?{_AUX}(?P<verb>{_KILL}|{_HURT})\b", re.I),
        # 32 dead and 117 injured / 15 people killed / dozens injured
        re.compile(rf"{num}\s+(?:{_ADJ}{_PERSON}\s+)?(?P<verb>{_KILL}|{_HURT})\b", re.I),
    ]


@cache
def _toll_pattern() -> re.Pattern[str]:
    return re.compile(
        rf"\b(?P<verb>killed|dead|death toll|toll|deaths|injured|wounded|injuries)\b[^.;]{{0,120}}?\b"
        rf"(?:risen|rose|rises|climbed|increased|reached|grown|grew|jumped|passed)\s+to\s+{number_regex()}",
        re.I,
    )


_SINGLE = re.compile(
    rf"(?P<people>{_ONE}(?:\s+and\s+{_ONE})*)\s+{_AUX}(?P<verb>{_KILL}|{_HURT})\b"
    rf"|\b(?P<verb2>killing|injuring|wounding)\s+(?P<people2>{_ONE}(?:\s+and\s+{_ONE})*)",
    re.I,
)
_NONE = re.compile(
    r"\bno (?:casualties|victims|injuries|deaths|fatalities)\b|\bwithout casualties\b"
    r"|\b(?:no one|nobody|no people|no civilians)\s+(?:was|were|has been|had been)\s+(?P<verb>killed|injured|wounded|hurt)",
    re.I,
)


_ANY_HARM = re.compile(r"kill|dead|die|injur|wound|hurt|casualt|toll|perish|lives|victim|fatalit", re.I)


def find_casualties(sentence: str) -> list[Casualty]:
    """Every death and injury count of one sentence, without overlaps."""
    found: list[Casualty] = []
    if not _ANY_HARM.search(sentence):
        return found
    taken: list[tuple[int, int]] = []
    for match in _toll_pattern().finditer(sentence):
        _add(
            found,
            taken,
            match,
            _kind(match.group("verb").split()[-1]) if "toll" not in match.group("verb").lower() else KILLED,
        )
    for pattern in _patterns():
        for match in pattern.finditer(sentence):
            if not re.search(r"\bno\s*$", sentence[: match.start("num")], re.I) and " among " not in match.group():
                _add(found, taken, match, _kind(match.group("verb")))
    found += _singles(sentence, taken) + _none(sentence)
    return found


def _add(found: list[Casualty], taken: list[tuple[int, int]], match: re.Match[str], kind: str) -> None:
    start, end = match.span("num")
    if any(s < end and start < e for s, e in taken):
        return
    count = parse_count(match.group("qual"), match.group("num"))
    if count is not None:
        found.append(Casualty(kind, count, match.start(), match.end()))
        taken.append((start, end))


def _singles(sentence: str, taken: list[tuple[int, int]]) -> list[Casualty]:
    found: list[Casualty] = []
    for match in _SINGLE.finditer(sentence):
        people = match.group("people") or match.group("people2")
        verb = match.group("verb") or match.group("verb2")
        if any(s < match.end() and match.start() < e for s, e in taken):
            continue
        value = len(re.findall(r"\band\s+(?:a|an|one|her|his|their|its)\s", people, re.I)) + 1
        found.append(Casualty(_kind(verb), Count(value, "exact"), match.start(), match.end()))
    return found


def _none(sentence: str) -> list[Casualty]:
    found: list[Casualty] = []
    for match in _NONE.finditer(sentence):
        verb = (match.group("verb") or "").lower()
        kinds = [KILLED] if verb == "killed" else [INJURED] if verb in {"injured", "wounded"} else [KILLED, INJURED]
        found += [Casualty(k, Count(0, "exact"), match.start(), match.end()) for k in kinds]
    return found
