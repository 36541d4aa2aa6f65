"""Bootstrap confidence for slot F1, resampling articles (codebook, "Scoring" 7).

The unit of resampling is the article, because facts of one article are not
independent. Each article is reduced once to its (tp, fp, fn) fact counts, so
a resample is a sum of rows and a thousand of them are one array operation.
The interval is the percentile interval (2.5th and 97.5th percentiles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

RESAMPLES = 1000
SEED = 20240521


def f1_of_counts(counts: ArrayLike) -> np.ndarray:
    """Micro F1 of (..., 3) arrays of (tp, fp, fn); NaN where all three are 0.

    NaN is the array form of ``Counts.f1`` being None: nothing to score.
    """
    import numpy as np

    tp, fp, fn = np.moveaxis(np.asarray(counts, dtype=float), -1, 0)
    denominator = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, np.nan)


def resampled_f1(counts: ArrayLike, *, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """Slot F1 of each resample of the articles (rows of ``counts``), with replacement.

    The same seed and number of articles give the same resamples, which is
    what makes ``paired_difference`` paired.
    """
    import numpy as np

    table = np.asarray(counts, dtype=np.int64).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(table), size=(resamples, len(table)))
    return f1_of_counts(table[picks].sum(axis=1))


def f1_interval(counts: ArrayLike, *, resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float] | None:
    """95% percentile interval of slot F1 over articles; None if nothing can be scored.

    Resamples that happen to draw only articles with nothing to score have no
    F1 and are left out of the percentiles.
    """
    import numpy as np

    if len(np.asarray(counts).reshape(-1, 3)) == 0:
        return None
    scores = resampled_f1(counts, resamples=resamples, seed=seed)
    return _percentile_interval(scores)


@dataclass(frozen=True)
class PairedDifference:
    """Slot F1 of model A minus that of model B, scored on the same articles.

    ``share_not_better`` is the share of resamples in which A's F1 is not above
    B's (difference <= 0): a one-sided bootstrap p-value for "A is better than
    B". Below 0.05, A's lead is unlikely to be an accident of which articles
    were drawn; ties count against A, so two identical models give 1.0.
    """

    difference: float | None
    ci95: tuple[float, float] | None
    share_not_better: float | None
    resamples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "difference": self.difference,
            "ci95": None if self.ci95 is None else list(self.ci95),
            "share_not_better": self.share_not_better,
            "resamples": self.resamples,
            "seed": self.seed,
        }


def paired_difference(
    counts_a: ArrayLike, counts_b: ArrayLike, *, resamples: int = RESAMPLES, seed: int = SEED
) -> PairedDifference:
    """Paired bootstrap of F1(A) - F1(B); row i of both arrays must be the same article."""
    import numpy as np

    table_a = np.asarray(counts_a, dtype=np.int64).reshape(-1, 3)
    table_b = np.asarray(counts_b, dtype=np.int64).reshape(-1, 3)
    if table_a.shape != table_b.shape:
        raise ValueError(f"paired counts differ in shape: {table_a.shape} vs {table_b.shape}")
    observed = f1_of_counts(table_a.sum(axis=0)) - f1_of_counts(table_b.sum(axis=0))
    nothing = PairedDifference(None, None, None, resamples, seed)
    if len(table_a) == 0 or np.isnan(observed):
        return nothing
    differences = resampled_f1(table_a, resamples=resamples, seed=seed) - resampled_f1(
        table_b, resamples=resamples, seed=seed
    )
    defined = differences[~np.isnan(differences)]
    if len(defined) == 0:
        return nothing
    return PairedDifference(
        difference=float(observed),
        ci95=_percentile_interval(defined),
        share_not_better=float(np.mean(defined <= 0)),
        resamples=resamples,
        seed=seed,
    )


def _percentile_interval(scores: np.ndarray) -> tuple[float, float] | None:
    import numpy as np

    defined = scores[~np.isnan(scores)]
    if len(defined) == 0:
        return None
    low, high = np.percentile(defined, [2.5, 97.5])
    return float(low), float(high)
