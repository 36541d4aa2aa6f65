"""Checks of a model's output against the article it came from.

Every figure must quote the article: that is what makes an extraction
checkable by a reader. The same folding serves validation (a figure whose
evidence is missing is re-asked) and scoring (the grounding rate), so the two
can never disagree about what "found in the article" means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from extractor.schema import EVIDENCE_CHECK, LEAK_CHECK

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


def validation_context(article_text: str) -> dict[str, EvidenceCheck]:
    """The pydantic validation context that turns on the evidence check."""
    return {"evidence_check": evidence_checker(article_text)}


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


@contextmanager
def evidence_checked_against(article_text: str, instructions: str | None = None) -> Iterator[None]:
    """Check what is validated inside the block against the article (and instructions).

    Used around instructor calls, which must not be given a pydantic context
    (instructor would render the messages as templates).
    """
    evidence = EVIDENCE_CHECK.set(evidence_checker(article_text))
    leak = LEAK_CHECK.set(leak_checker(instructions, article_text) if instructions else None)
    try:
        yield
    finally:
        EVIDENCE_CHECK.reset(evidence)
        LEAK_CHECK.reset(leak)
