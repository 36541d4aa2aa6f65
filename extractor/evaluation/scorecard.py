"""One model's predictions scored against a gold set: the numbers an eval reports.

``scoring`` judges one article; this module adds the articles up into the
codebook's headline numbers and keeps each article's diff for the HTML report.

Which articles count: those in the gold file. A gold article with no
prediction, or whose record failed (status other than ``ok``), is scored as
an empty prediction and is not valid; predictions for ids not in the gold are
ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from extractor.evaluation.bootstrap import RESAMPLES, SEED, PairedDifference, f1_interval, paired_difference
from extractor.evaluation.datasets import ArticleRecord, Prediction
from extractor.evaluation.scoring import (
    KINDS,
    ArticleDiff,
    Counts,
    diff_article,
    grounding_tally,
    qualifier_tally,
    source_tally,
)
from extractor.grounding import evidence_checker
from extractor.schema import AttackEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArticleScore:
    """One gold article's diff, whether its output was valid, and its evidence tally."""

    diff: ArticleDiff
    valid: bool
    grounded: int  # predicted evidence strings found in the article text
    checked: int  # predicted evidence strings checked (0 when the text is unknown)


@dataclass(frozen=True)
class ScoreReport:
    """The codebook's scores of one prediction file, and the per-article detail behind them.

    Rates are None where they have nothing to measure: no matching figure
    facts (qualifier accuracy), none with a gold source (source accuracy), no
    article texts or no predicted evidence (grounding), no gold articles.
    """

    events: Counts
    slots: Counts
    slots_ci95: tuple[float, float] | None
    per_kind: dict[str, Counts]
    qualifier_accuracy: float | None
    source_accuracy: float | None
    grounding_rate: float | None
    validity_rate: float | None
    per_article: dict[str, ArticleScore]
    resamples: int = RESAMPLES
    seed: int = SEED

    def slot_table(self, ids: list[str] | None = None) -> list[tuple[int, int, int]]:
        """Per-article (tp, fp, fn) of slot facts, in ``ids`` order (default: sorted ids)."""
        order = sorted(self.per_article) if ids is None else ids
        rows = [self.per_article[key].diff.slot_counts() for key in order]
        return [(row.tp, row.fp, row.fn) for row in rows]

    def to_dict(self, *, details: bool = False) -> dict[str, Any]:
        """The JSON form; ``details`` adds each article's validity, counts and diff."""
        result: dict[str, Any] = {
            "articles": len(self.per_article),
            "events": self.events.to_dict(),
            "slots": {
                **self.slots.to_dict(),
                "ci95": None if self.slots_ci95 is None else list(self.slots_ci95),
            },
            "per_kind": {kind: counts.to_dict() for kind, counts in self.per_kind.items()},
            "qualifier_accuracy": self.qualifier_accuracy,
            "source_accuracy": self.source_accuracy,
            "grounding_rate": self.grounding_rate,
            "validity_rate": self.validity_rate,
            "bootstrap": {"resamples": self.resamples, "seed": self.seed},
        }
        if details:
            result["per_article"] = {
                key: {
                    "valid": score.valid,
                    "events": score.diff.event_counts().to_dict(),
                    "slots": score.diff.slot_counts().to_dict(),
                    "diff": score.diff.to_dict(),
                }
                for key, score in self.per_article.items()
            }
        return result


def score_article(gold: list[AttackEvent], prediction: Prediction | None, text: str | None) -> ArticleScore:
    """Score one gold article against its prediction record (None when it has none)."""
    valid = prediction is not None and prediction.valid
    events = prediction.events if prediction is not None and valid else []
    grounded, checked = (0, 0) if text is None else grounding_tally(events, evidence_checker(text))
    return ArticleScore(diff_article(gold, events), valid, grounded, checked)


def score_dataset(
    gold: Mapping[str, list[AttackEvent]],
    predictions: Mapping[str, Prediction],
    articles: Mapping[str, ArticleRecord] | None = None,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> ScoreReport:
    """Score every gold article and add the articles up, micro-averaged."""
    _warn_about_strays(gold, predictions, articles)
    per_article = {key: score_article(gold[key], predictions.get(key), _text(articles, key)) for key in gold}
    diffs = [score.diff for score in per_article.values()]
    per_kind = {kind: sum((d.kind_counts()[kind] for d in diffs), Counts()) for kind in KINDS}
    report = ScoreReport(
        events=sum((d.event_counts() for d in diffs), Counts()),
        slots=sum(per_kind.values(), Counts()),
        slots_ci95=None,
        per_kind=per_kind,
        qualifier_accuracy=_share(qualifier_tally(d) for d in diffs),
        source_accuracy=_share(source_tally(d) for d in diffs),
        grounding_rate=_share((s.grounded, s.checked) for s in per_article.values()),
        validity_rate=_share((int(s.valid), 1) for s in per_article.values()),
        per_article=per_article,
        resamples=resamples,
        seed=seed,
    )
    ci95 = f1_interval(report.slot_table(), resamples=resamples, seed=seed)
    return replace(report, slots_ci95=ci95)


def compare_reports(
    a: ScoreReport, b: ScoreReport, *, resamples: int = RESAMPLES, seed: int = SEED
) -> PairedDifference:
    """Paired bootstrap of slot F1(A) - F1(B); both must be scored on the same articles."""
    if set(a.per_article) != set(b.per_article):
        raise ValueError("the two reports were not scored on the same gold articles")
    ids = sorted(a.per_article)
    return paired_difference(a.slot_table(ids), b.slot_table(ids), resamples=resamples, seed=seed)


def _share(tallies: Iterable[tuple[int, int]]) -> float | None:
    """Sum of (hits, total) tallies as a share; None when the total is 0."""
    hits = total = 0
    for hit, count in tallies:
        hits, total = hits + hit, total + count
    return hits / total if total else None


def _text(articles: Mapping[str, ArticleRecord] | None, key: str) -> str | None:
    if articles is None or key not in articles:
        return None
    return articles[key].text


def _warn_about_strays(
    gold: Mapping[str, Any], predictions: Mapping[str, Any], articles: Mapping[str, Any] | None
) -> None:
    stray = set(predictions) - set(gold)
    if stray:
        logger.warning("%d predictions have no gold and are ignored: %s", len(stray), sorted(stray))
    if articles is not None and (untexted := set(gold) - set(articles)):
        logger.warning(
            "%d gold articles have no text; their evidence is not checked: %s",
            len(untexted),
            sorted(untexted),
        )
