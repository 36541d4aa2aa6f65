"""Runs models over a gold dataset, scores each, and compares them: pure data in, typed report out.

A run is one (model, prompt). A model is any name ``extract`` accepts, or
``file:PRED.jsonl`` to score stored predictions without calling anything.
Every gold article is accounted for in every run: an article a model failed
on is scored as an empty prediction and counted in ``failures``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.articles import Article, record_to_article
from extractor.errors import ConfigError
from extractor.evaluation.clusters import ClusterScores, GoldAttack, load_gold_attacks, resolve_and_score
from extractor.evaluation.datasets import ArticleRecord, Prediction, load_articles, load_gold, load_predictions
from extractor.evaluation.results import (
    Comparison,
    Coverage,
    EvalReport,
    Failures,
    GoldSummary,
    Latency,
    RunReport,
    Scores,
    Tokens,
)
from extractor.evaluation.scorecard import ScoreReport, compare_reports, score_dataset
from extractor.evaluation.scoring import event_facts
from extractor.pipeline import extract_stream
from extractor.pricing import Prices, load_prices, token_cost
from extractor.resources import dataset_dirs
from extractor.schema import AttackEvent
from extractor.settings import Settings, check_settings

log = logging.getLogger(__name__)
FILE_PREFIX = "file:"
Record = dict[str, Any]


@dataclass(frozen=True)
class Dataset:
    """A gold set: its articles and their hand-labelled events."""

    name: str
    articles: dict[str, ArticleRecord]
    gold: dict[str, list[AttackEvent]]
    attacks: list[GoldAttack] | None = None  # gold attacks, where the set labels them

    def resolution(self, events: dict[str, list[AttackEvent]]) -> ClusterScores | None:
        """How well ``events`` resolve into the gold attacks; None for a set without them."""
        if self.attacks is None:
            return None
        published = {key: a.published for key, a in self.articles.items()}
        return resolve_and_score({k: v for k, v in events.items() if k in self.gold}, published, self.gold,
                                 self.attacks)


@dataclass
class Run:
    """One model and prompt over a dataset: its records, before scoring."""

    model: str
    prompt: str | None
    prompt_version: str | None
    records: dict[str, Record]
    mode: str | None = None

    @property
    def label(self) -> str:
        if self.model.startswith(FILE_PREFIX):
            return FILE_PREFIX + Path(self.model[len(FILE_PREFIX):]).name
        return self.model if self.prompt in (None, "default") else f"{self.model} [{self.prompt}]"


def dataset_dir(name_or_path: str) -> Path:
    """A dataset folder: a path, or a dataset's name (seeds, dev, heldout, heldout2, heldout3, attacks)."""
    for folder in [Path(name_or_path), *(base / name_or_path for base in dataset_dirs())]:
        if (folder / "gold.jsonl").is_file() and (folder / "articles.jsonl").is_file():
            return folder
    raise ConfigError(
        f"no dataset {name_or_path!r}: give a folder holding articles.jsonl and gold.jsonl, "
        "or a dataset name (seeds, dev, heldout, heldout2, heldout3, attacks)"
    )


def load_dataset(name_or_path: str) -> Dataset:
    folder = dataset_dir(name_or_path)
    attacks = folder / "attacks.jsonl"
    return Dataset(folder.name, load_articles(folder / "articles.jsonl"), load_gold(folder / "gold.jsonl"),
                   load_gold_attacks(attacks) if attacks.is_file() else None)


def score_report(gold_path: Path, pred_path: Path, articles_path: Path | None = None) -> EvalReport:
    """The evals report of one stored prediction file: what ``extractor score`` shows.

    Without ``articles_path`` the articles.jsonl beside the gold file is used
    if there is one; without article texts the grounding rate is None.
    """
    articles_path = articles_path or gold_path.parent / "articles.jsonl"
    articles = load_articles(articles_path) if articles_path.is_file() else {}
    dataset = Dataset(gold_path.parent.name, articles, load_gold(gold_path))
    run = run_model(dataset, FILE_PREFIX + str(pred_path), "default", Settings())
    return build_report(dataset, [run], load_prices())


def run_cost(model: str, records: Iterable[Record], prices: Prices) -> float | None:
    """Dollars for the tokens of a run; None when the model has no price."""
    used = tokens(records)
    return token_cost(model, used.prompt if used else 0, used.completion if used else 0, prices)


def as_article(record: ArticleRecord) -> Article:
    """The article exactly as ``extract`` would read it, so both share cache entries."""
    return record_to_article(record.model_dump(), record.id, None)


async def _collect(dataset: Dataset, settings: Settings) -> dict[str, Record]:
    records: dict[str, Record] = {}
    articles = (as_article(a) for a in dataset.articles.values())
    async for result in extract_stream(articles, settings):
        records[result.id] = result.to_record().to_json()
    return records


def run_model(dataset: Dataset, model: str, prompt: str, settings: Settings) -> Run:
    """Records for every article of the dataset from one model and prompt."""
    if model.startswith(FILE_PREFIX):
        path = model[len(FILE_PREFIX):]
        stored = load_predictions(path)
        records = {key: p.model_dump(mode="json") for key, p in stored.items() if key in dataset.gold}
        check_coverage(path, dataset, len(records), len(stored))
        return Run(model, None, None, records)
    run_settings = settings.with_model(model, prompt=prompt)
    check_settings(run_settings)
    records = asyncio.run(_collect(dataset, run_settings))
    version = next((r["prompt_version"] for r in records.values()), None)
    if run_settings.is_rules:
        return Run(model, None, version, records)
    return Run(model, prompt, version, records, mode=run_settings.mode)


@dataclass(frozen=True)
class ScoredRun:
    """A run with its records read as predictions and scored."""

    run: Run
    predictions: dict[str, Prediction]
    scores: ScoreReport


def score_run(run: Run, dataset: Dataset) -> ScoredRun:
    predictions = {key: Prediction.model_validate(record) for key, record in run.records.items()}
    return ScoredRun(run, predictions, score_dataset(dataset.gold, predictions, dataset.articles or None))


def check_coverage(path: str, dataset: Dataset, matched: int, stored: int) -> None:
    """An error for a prediction file that covers none of the dataset, a loud warning under half.

    Scoring the wrong file would otherwise give a full report of zeros and
    "missing: no output", which reads like a model that failed.
    """
    articles = len(dataset.gold)
    if articles and matched == 0:
        raise ConfigError(f"{path} holds none of the {articles} article ids of dataset {dataset.name!r} "
                          f"(it has {stored} records with other ids); check that it is the right file")
    if matched * 2 < articles:
        log.warning("%s covers only %d of the %d articles of dataset %r; the other %d are scored as missing",
                    path, matched, articles, dataset.name, articles - matched)


def run_report(scored_run: ScoredRun, dataset: Dataset, prices: Prices) -> RunReport:
    """A run's scores, failures, tokens, cost, latency and coverage."""
    run, predictions, scored = scored_run.run, scored_run.predictions, scored_run.scores
    return RunReport(
        label=run.label, model=run.model, prompt=run.prompt, prompt_version=run.prompt_version,
        scores=Scores.model_validate(scored.to_dict(details=True)),
        cost_usd=_cost(run, prices), failures=failures(run.records, dataset), tokens=tokens(run.records.values()),
        latency=latency(run.records.values()), coverage=coverage(predictions, dataset),
        seconds_per_article=seconds_per_article(run.records.values()), mode=run.mode,
        predicted_events={key: p.events for key, p in predictions.items()},
        statuses={key: p.status for key, p in predictions.items()},
        resolution=dataset.resolution({key: list(p.events) for key, p in predictions.items() if p.valid}),
    )


def _cost(run: Run, prices: Prices) -> float | None:
    if run.model.startswith(FILE_PREFIX):
        return stored_cost(run, prices)
    return run_cost(run.model, run.records.values(), prices)


def failures(records: dict[str, Record], dataset: Dataset) -> Failures:
    """How many gold articles a run did not turn into a valid output, and why."""
    missing = sorted(set(dataset.gold) - set(records))
    counts = {"invalid": 0, "error": 0}
    reasons: dict[str, list[str]] = {}
    for key, record in records.items():
        status = record.get("status", "ok")
        if status != "ok":
            counts[status if status in counts else "error"] += 1
            reasons[key] = [str(e) for e in record.get("errors", [])][:3]
    return Failures(**counts, missing=len(missing), articles=reasons, missing_ids=missing)


def stored_cost(run: Run, prices: Prices) -> float | None:
    """Cost of stored predictions, priced by the model their records name (if one)."""
    models = {r.get("model") for r in run.records.values()}
    model = models.pop() if len(models) == 1 else None
    return run_cost(model, run.records.values(), prices) if isinstance(model, str) else None


def tokens(records: Iterable[Record]) -> Tokens | None:
    """Tokens over a run's records; None when no record says (stored bare predictions)."""
    prompt = completion = 0
    reported = False
    for record in records:
        usage = record.get("usage")
        if usage:
            reported = True
            prompt += int(usage.get("prompt_tokens", 0))
            completion += int(usage.get("completion_tokens", 0))
    return Tokens(prompt=prompt, completion=completion) if reported else None


def latency(records: Iterable[Record]) -> Latency:
    """Seconds per article, median and 95th percentile (cache hits included)."""
    seconds = sorted(float(r["seconds"]) for r in records if r.get("seconds") is not None)
    if not seconds:
        return Latency(p50=None, p95=None)
    p95 = seconds[min(len(seconds) - 1, max(0, round(0.95 * len(seconds)) - 1))]
    return Latency(p50=statistics.median(seconds), p95=p95)


def seconds_per_article(records: Iterable[Record]) -> float | None:
    """Mean seconds of the articles that were really asked (cache hits left out when there are others)."""
    timed = [r for r in records if r.get("seconds") is not None]
    fresh = [r for r in timed if not r.get("cached")] or timed
    return statistics.fmean(float(r["seconds"]) for r in fresh) if fresh else None


def coverage(predictions: dict[str, Prediction], dataset: Dataset) -> Coverage:
    """Facts per article against gold's, and how many predicted events carry no figure, place or weapon."""
    events = [e for key, p in predictions.items() if key in dataset.gold and p.valid for e in p.events]
    gold = [e for events_ in dataset.gold.values() for e in events_]
    articles = len(dataset.gold)
    return Coverage(
        facts_per_article=sum(len(event_facts(e)) for e in events) / articles if articles else None,
        gold_facts_per_article=sum(len(event_facts(e)) for e in gold) / articles if articles else None,
        events=len(events),
        empty_events=sum(1 for e in events if _empty(e)),
    )


def _empty(event: AttackEvent) -> bool:
    return not (event.weapons or event.places or event.killed or event.injured)


def run_evals(
    dataset_name: str,
    models: Sequence[str],
    prompts: Sequence[str],
    settings: Settings,
    prices_path: Path | None = None,
) -> EvalReport:
    """Every model with every prompt over the dataset, scored and compared: the report."""
    dataset = load_dataset(dataset_name)
    prices = load_prices(prices_path)
    runs: list[Run] = []
    for model in models:
        model_prompts = [None] if model.startswith(FILE_PREFIX) or model == "rules" else prompts
        for prompt in model_prompts:
            runs.append(run_model(dataset, model, prompt or "default", settings))
    return build_report(dataset, runs, prices)


def build_report(dataset: Dataset, runs: list[Run], prices: Prices) -> EvalReport:
    """Score every run and compare each with the first (the baseline)."""
    scored = [score_run(run, dataset) for run in runs]
    baseline = scored[0]
    comparisons = [
        Comparison(a=other.run.label, b=baseline.run.label, a_index=index, b_index=0,
                   **compare_reports(other.scores, baseline.scores).to_dict())
        for index, other in enumerate(scored[1:], start=1)
    ]
    return EvalReport(
        dataset=dataset.name,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        gold=gold_summary(dataset),
        runs=[run_report(one, dataset, prices) for one in scored],
        comparisons=comparisons,
        articles=list(dataset.articles.values()),
        gold_events=dataset.gold,
        gold_resolution=dataset.resolution(dataset.gold),
    )


def gold_summary(dataset: Dataset) -> GoldSummary:
    events = [e for events in dataset.gold.values() for e in events]
    kinds: dict[str, int] = {}
    for event in events:
        for fact in event_facts(event):
            kinds[str(fact[0])] = kinds.get(str(fact[0]), 0) + 1
    return GoldSummary(articles=len(dataset.gold), events=len(events), facts=sum(kinds.values()),
                       facts_per_kind=kinds)
