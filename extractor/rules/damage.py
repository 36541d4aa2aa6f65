"""Damage categories from what a sentence says was hit or damaged.

The keywords per category are data (``data/damage.json``). A keyword counts
only in a sentence that says something was hit, damaged, destroyed or set on
fire, by either side's claim; "Russian forces do not strike residential
buildings" is a denial, not damage.
"""

from __future__ import annotations

import re
from functools import cache

from extractor.rules.resources import load


@cache
def _compiled() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = load("damage")
    # One alternation with a named group per category, matched on lower-cased
    # text: one pass per sentence instead of one per category.
    groups = "|".join(
        rf"(?P<{name}>" + "|".join(rf"\b(?:{k})" for k in keys) + ")" for name, keys in data["categories"].items()
    )
    cues = re.compile("|".join(rf"\b(?:{c})" for c in data["cues"]))
    negations = re.compile("|".join(rf"\b(?:{n})" for n in data["negations"]))
    return re.compile(groups), cues, negations


def find_damage(sentence: str) -> list[str]:
    """The codebook damage categories one sentence reports, in list order."""
    categories, cues, negations = _compiled()
    folded = sentence.lower()
    if not cues.search(folded) or negations.search(folded):
        return []
    found = {m.lastgroup for m in categories.finditer(folded) if m.lastgroup}
    return [name for name in load("damage")["categories"] if name in found]


def damage_categories(words: str) -> list[str]:
    """The categories a description of damage names ("apartment block", "a substation"), no cue needed."""
    categories, _, _ = _compiled()
    found = {m.lastgroup for m in categories.finditer(words.lower()) if m.lastgroup}
    return [name for name in load("damage")["categories"] if name in found]
