"""The eval report as types: what ``report.json`` holds and every renderer reads.

Strict models (unknown keys are errors, every key required unless it may
really be absent) so that a renamed field fails where it is made or read,
instead of a renderer printing a dash. ``EvalReport.model_dump_json`` is
report.json; ``EvalReport.model_validate_json`` reads one back.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from extractor.evaluation.clusters import ClusterScores
from extractor.evaluation.datasets import ArticleRecord
from extractor.schema import AttackEvent, Figure


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rates(_Report):
    """Precision, recall and F1 of some counts; None where there was nothing to score."""

    precision: float | None
    recall: float | None
    f1: float | None
    tp: int
    fp: int
    fn: int


class SlotRates(Rates):
    """The headline slot rates, with the bootstrap interval of F1."""

    ci95: tuple[float, float] | None


class FactView(_Report):
    """One fact of one event (``fact[0]`` is its kind), with the figure it came from."""

    fact: list[str | int | None]
    event: int
    figure: Figure | None

    @property
    def kind(self) -> str:
        return str(self.fact[0]) if self.fact else "?"


class FactPairView(_Report):
    gold: FactView
    pred: FactView


class DiffView(_Report):
    """How one article's prediction differs from its gold (see ``scoring.ArticleDiff``)."""

    pairs: list[tuple[int, int]]
    matched: list[FactPairView]
    missed: list[FactView]
    extra: list[FactView]
    wrong_value: list[FactPairView]


class ArticleScore(_Report):
    valid: bool
    events: Rates
    slots: Rates
    diff: DiffView


class Bootstrap(_Report):
    resamples: int
    seed: int


class Scores(_Report):
    """The codebook's scores of one run (``scorecard.ScoreReport`` as data)."""

    articles: int
    events: Rates
    slots: SlotRates
    per_kind: dict[str, Rates]
    qualifier_accuracy: float | None
    source_accuracy: float | None
    grounding_rate: float | None
    validity_rate: float | None
    bootstrap: Bootstrap
    per_article: dict[str, ArticleScore] = Field(default_factory=dict)


class Failures(_Report):
    """Gold articles a run did not turn into a valid output, and why."""

    invalid: int
    error: int
    missing: int
    articles: dict[str, list[str]]
    missing_ids: list[str]


class Tokens(_Report):
    prompt: int
    completion: int


class Latency(_Report):
    p50: float | None
    p95: float | None


class Coverage(_Report):
    """Whether "ok" outputs hold anything: facts per article against gold, and empty events.

    A model can be valid on every article and extract nothing; these numbers
    make that visible beside the F1.
    """

    facts_per_article: float | None
    gold_facts_per_article: float | None
    events: int
    empty_events: int

    @property
    def empty_share(self) -> float | None:
        return self.empty_events / self.events if self.events else None


class RunReport(_Report):
    """One (model, prompt) over the dataset: scores, cost, speed, failures, and its events."""

    label: str
    model: str
    prompt: str | None
    prompt_version: str | None
    scores: Scores
    cost_usd: float | None
    failures: Failures
    tokens: Tokens | None
    latency: Latency
    coverage: Coverage
    seconds_per_article: float | None
    mode: str | None
    predicted_events: dict[str, list[AttackEvent]]
    statuses: dict[str, str]
    resolution: ClusterScores | None = None  # reports into attacks, where the dataset labels attacks


class Comparison(_Report):
    """Run ``a`` against run ``b`` (the baseline) by the paired bootstrap."""

    a: str
    b: str
    a_index: int
    b_index: int
    difference: float | None
    ci95: tuple[float, float] | None
    share_not_better: float | None
    resamples: int
    seed: int


class GoldSummary(_Report):
    articles: int
    events: int
    facts: int
    facts_per_kind: dict[str, int]


class EvalReport(_Report):
    """The whole report: the dataset, its gold, every run, and each run against the first."""

    dataset: str
    created: str
    gold: GoldSummary
    runs: list[RunReport]
    comparisons: list[Comparison]
    articles: list[ArticleRecord]
    gold_events: dict[str, list[AttackEvent]]
    gold_resolution: ClusterScores | None = None  # gold events resolved: resolution errors without extraction's
