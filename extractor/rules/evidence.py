"""Short verbatim evidence for a figure: its sentence, or the clause around it.

Evidence is cut from the sentence by offsets, never re-typed, so it is always
a substring of the article.
"""

from __future__ import annotations

import re

_MAX = 220
_CLAUSE_BREAK = re.compile(r";|\s[-\u2013\u2014]\s|:\s")


def clause_around(sentence: str, start: int, end: int) -> str:
    """The sentence if short, else the clause (then comma window) holding ``start:end``."""
    if len(sentence) <= _MAX:
        return sentence
    left = max([m.end() for m in _CLAUSE_BREAK.finditer(sentence, 0, start)] or [0])
    right = min([m.start() for m in _CLAUSE_BREAK.finditer(sentence, end)] or [len(sentence)])
    if right - left > _MAX:
        commas_left = [m.end() for m in re.finditer(r",\s", sentence[:start]) if start - m.end() > 40]
        left = max([left, *commas_left[-1:]])
        commas_right = [m.start() for m in re.finditer(r",\s", sentence[end:])]
        right = min(right, end + commas_right[0]) if commas_right else right
    return sentence[left:right].strip(" ,") or sentence
