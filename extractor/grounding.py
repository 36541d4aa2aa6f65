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

from extractor.schema import EVIDENCE_CHECK, LEAK_CHECK, Extraction

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


@dataclass(frozen=True)
class ArticleChecks:
    """What an answer is checked against: its article, and the instructions it was given.

    Passed to validation as an argument (pydantic's validation context), so
    tests, cache hits, batch answers and live answers all run the same checks.
    """

    evidence: EvidenceCheck
    leak: EvidenceCheck | None = None

    @classmethod
    def of(cls, article_text: str, instructions: str | None = None) -> ArticleChecks:
        leak = leak_checker(instructions, article_text) if instructions else None
        return cls(evidence_checker(article_text), leak)

    @property
    def context(self) -> dict[str, EvidenceCheck | None]:
        """The pydantic validation context that turns these checks on."""
        return {EVIDENCE_CHECK: self.evidence, LEAK_CHECK: self.leak}


def validate_extraction(answer: Any, checks: ArticleChecks) -> Extraction:
    """An answer (parsed JSON) as a validated Extraction, or a pydantic ValidationError."""
    return Extraction.model_validate(answer, context=checks.context)
