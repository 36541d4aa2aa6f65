"""Page furniture stripped before any figure is read.

Real pages wrap the story in cookie banners, newsletter boxes, donation pleas,
comment forms and lists of related headlines, and those carry numbers ("our
146 partners") that are no part of the story. Patterns are data
(``data/boilerplate.json``); what is dropped is whole lines or sentences, so
what remains is still verbatim article text.
"""

from __future__ import annotations

import re
from functools import cache

from extractor.rules.resources import load
from extractor.rules.text import Sentence


@cache
def _patterns(key: str) -> re.Pattern[str]:
    # Matched against lower-cased text: a case-blind alternation is much slower.
    return re.compile("|".join(f"(?:{p})" for p in load("boilerplate")[key]))


@cache
def _split_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Anchored patterns (tried on a line's start only) and the others."""
    patterns = load("boilerplate")["line_patterns"]
    anchored = [p[1:] for p in patterns if p.startswith("^")]
    loose = [p for p in patterns if not p.startswith("^")]
    return re.compile("|".join(f"(?:{p})" for p in anchored)), re.compile("|".join(f"(?:{p})" for p in loose))


def is_boilerplate(text: str) -> bool:
    """Whether a line or sentence is page furniture rather than story."""
    folded = text.strip().lower()
    anchored, loose = _split_patterns()
    return bool(anchored.match(folded) or loose.search(folded))


def keep_lines(article: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The line spans that belong to the story.

    A separator-fenced box (``-----`` ... ``-----``) and the headline list under a
    "Related stories" heading are dropped whole: their lines look like news.
    """
    kept: list[tuple[int, int]] = []
    in_box = False
    in_list = False
    for start, end in spans:
        line = article[start:end].strip()
        if re.fullmatch(r"[-_=*]{3,}", line):
            in_box = not in_box
            continue
        if _patterns("block_headings").search(line.lower()):
            in_list = True
            continue
        if in_list and _looks_like_headline(line):
            continue
        in_list = False
        # A long line may glue furniture to the story; sentences are filtered later.
        if not in_box and (len(line) > 250 or not is_boilerplate(line)):
            kept.append((start, end))
    return kept


def _looks_like_headline(line: str) -> bool:
    return line.startswith((">", "\u2022", "-", "*")) or (len(line) < 100 and not line.endswith("."))


def drop_sentences(sentences: list[Sentence]) -> list[Sentence]:
    """Sentences that survive the sentence-level furniture patterns."""
    return [s for s in sentences if not is_boilerplate(s.text)]
