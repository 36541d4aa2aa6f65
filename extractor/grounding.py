"""Checks of a model's output against the article it came from.

Every figure must quote the article: that is what makes an extraction
checkable by a reader. The same folding serves validation (a figure whose
evidence is missing is re-asked) and scoring (the grounding rate), so the two
can never disagree about what "found in the article" means.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from extractor.schema import EVIDENCE_CHECK, EVIDENCE_SNAP, LEAK_CHECK, Extraction

# Straight, curly, low-9, prime and guillemet quotes all fold to one mark:
# models re-type quotes freely, and the codebook folds them.
_QUOTES = "'\"`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u00ab\u00bb\u2039\u203a"
_QUOTE_TABLE = str.maketrans({q: "'" for q in _QUOTES})
_SPACE = re.compile(r"\s+")

EvidenceCheck = Callable[[str], bool]


def fold_text(text: str) -> str:
    """Fold whitespace runs, case and quote characters, as the codebook says."""
    return _SPACE.sub(" ", text.translate(_QUOTE_TABLE)).strip().casefold()


def evidence_checker(article_text: str) -> EvidenceCheck:
    """Return a test of whether a quoted span occurs in ``article_text``.

    The article is folded once, so checking the dozens of figures of one
    answer costs one substring search each.
    """
    folded_article = fold_text(article_text)

    def is_grounded(evidence: str) -> bool:
        folded = fold_text(evidence)
        return bool(folded) and folded in folded_article

    return is_grounded


@cache
def _instruction_runs(instructions: str, width: int) -> frozenset[str]:
    """Every run of ``width`` folded words of the instructions, made once per prompt."""
    words = fold_text(instructions).split()
    return frozenset(" ".join(words[i : i + width]) for i in range(len(words) - width + 1))


def leak_checker(instructions: str, article_text: str, width: int = 8) -> EvidenceCheck:
    """Return a test of whether a text repeats ``width`` words running of the instructions.

    Runs of words that the article itself contains are allowed: quoting the
    article is what the model is asked to do. The article is searched only
    when a run matches, so the common case costs a set lookup per run.
    """
    runs = _instruction_runs(instructions, width)
    folded_article: list[str] = []

    def in_article(run: str) -> bool:
        if not folded_article:
            folded_article.append(fold_text(article_text))
        return run in folded_article[0]

    def repeats_instructions(text: str) -> bool:
        found = fold_text(text).split()
        candidates = (" ".join(found[i : i + width]) for i in range(len(found) - width + 1))
        return any(run in runs and not in_article(run) for run in candidates)

    return repeats_instructions


class EvidenceLocator:
    """Finds quotes in one article as the grounding check does, in original offsets.

    The article is folded one character at a time through ``fold_text`` itself
    (so the rules cannot drift from the grounding rate's), remembering which
    original character each folded character came from; a whitespace run
    folds to one space, as in ``fold_text``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        pieces: list[str] = []
        self.origin: list[int] = []
        previous_space = False
        for index, char in enumerate(text):
            if char.isspace():
                if not previous_space:
                    pieces.append(" ")
                    self.origin.append(index)
                previous_space = True
                continue
            previous_space = False
            folded = fold_text(char)
            pieces.append(folded)
            self.origin += [index] * len(folded)
        self.folded = "".join(pieces)

    def find(self, evidence: str | None) -> tuple[int, int] | None:
        """The (start, end) of the first occurrence of ``evidence``, or None if it is absent."""
        needle = fold_text(evidence or "")
        position = self.folded.find(needle) if needle else -1
        if position < 0:
            return None
        return self.origin[position], self.origin[position + len(needle) - 1] + 1


# How close (rapidfuzz's partial ratio, 0-100, on folded text) a model's quote must be to a
# stretch of the article to be taken as a slip for it: a word off, a digit for a number word.
SNAP_SCORE = 90.0
SNAP_MIN_CHARS = 12


def evidence_snapper(article_text: str) -> Callable[[str], str | None]:
    """Return a function giving the article's own words for a near-miss quote, or None if none is near.

    Small models re-case, re-punctuate or drop a word when they copy; the
    stretch they meant is found by fuzzy alignment and returned verbatim, so
    the evidence stays a span of the article. Quotes shorter than
    ``SNAP_MIN_CHARS`` are never snapped: too little to be sure of.
    """
    locator: list[EvidenceLocator] = []

    def snap(quote: str) -> str | None:
        folded = fold_text(quote)
        if len(folded) < SNAP_MIN_CHARS:
            return None
        from rapidfuzz import fuzz

        if not locator:
            locator.append(EvidenceLocator(article_text))
        found = locator[0]
        aligned = fuzz.partial_ratio_alignment(folded, found.folded, score_cutoff=SNAP_SCORE)
        if aligned is None or aligned.dest_end <= aligned.dest_start:
            return None
        start, end = _word_bounds(found.folded, aligned.dest_start, aligned.dest_end)
        return article_text[found.origin[start]: found.origin[end - 1] + 1].strip() or None

    return snap


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole words."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


@dataclass(frozen=True)
class ArticleChecks:
    """What an answer is checked against: its article, and the instructions it was given.

    Passed to validation as an argument (pydantic's validation context), so
    tests, cache hits, batch answers and live answers all run the same checks.
    """

    evidence: EvidenceCheck
    leak: EvidenceCheck | None = None
    snap: Callable[[str], str | None] | None = None

    @classmethod
    def of(cls, article_text: str, instructions: str | None = None, *, snap: bool = True) -> ArticleChecks:
        """The checks for answers to ``article_text``; near-miss quotes are snapped unless ``snap`` is False."""
        leak = leak_checker(instructions, article_text) if instructions else None
        return cls(evidence_checker(article_text), leak, evidence_snapper(article_text) if snap else None)

    @property
    def context(self) -> dict[str, Any]:
        """The pydantic validation context that turns these checks on."""
        return {EVIDENCE_CHECK: self.evidence, LEAK_CHECK: self.leak, EVIDENCE_SNAP: self.snap}


def validate_extraction(answer: Any, checks: ArticleChecks) -> Extraction:
    """An answer (parsed JSON) as a validated Extraction, or a pydantic ValidationError."""
    return Extraction.model_validate(answer, context=checks.context)
