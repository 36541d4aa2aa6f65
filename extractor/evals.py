"""Runs models over a gold dataset, scores each, and compares them.

A run is one (model, prompt). A model is any name ``extract`` accepts, or
``file:PRED.jsonl`` to score stored predictions without calling anything.
Every gold article is accounted for in every run: an article a model failed
on is scored as an empty prediction and counted in ``failures``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.articles import Article, record_to_article
from extractor.datasets import ArticleRecord, Prediction, load_articles, load_gold, load_predictions
from extractor.errors import ConfigError
from extractor.pipeline import extract_stream
from extractor.pricing import Prices, load_prices, token_cost
from extractor.scorecard import ScoreReport, compare_reports, score_dataset
from extractor.settings import Settings, check_settings

FILE_PREFIX = "file:"


@dataclass(frozen=True)
class Dataset:
    """A gold set: its articles and their hand-labelled events."""

    name: str
    articles: dict[str, ArticleRecord]
    gold: dict[str, list[Any]]


@dataclass
class Run:
    """One model and prompt over a dataset: its records and their scores."""

    model: str
    prompt: str | None
    prompt_version: str | None
    records: dict[str, dict[str, Any]]
    scores: ScoreReport | None = None
    cost: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.model.startswith(FILE_PREFIX):
            return FILE_PREFIX + Path(self.model[len(FILE_PREFIX):]).name
        return self.model if self.prompt in (None, "default") else f"{self.model} [{self.prompt}]"


def dataset_dir(name_or_path: str) -> Path:
    """A dataset folder: a path, or a name under ./evals/datasets or the source tree's."""
    candidates = [Path(name_or_path), Path("evals/datasets") / name_or_path,
                  Path(__file__).resolve().parent.parent / "evals" / "datasets" / name_or_path]
    for folder in candidates:
        if (folder / "gold.jsonl").is_file() and (folder / "articles.jsonl").is_file():
            return folder
    raise ConfigError(
        f"no dataset {name_or_path!r}: give a folder holding articles.jsonl and gold.jsonl, "
        "or a name under evals/datasets (seeds, dev)"
    )


def load_dataset(name_or_path: str) -> Dataset:
    folder = dataset_dir(name_or_path)
    return Dataset(folder.name, load_articles(folder / "articles.jsonl"), load_gold(folder / "gold.jsonl"))


def score_report(gold_path: Path, pred_path: Path, articles_path: Path | None = None) -> dict[str, Any]:
    """The evals report of one stored prediction file: what ``extractor score`` shows."""
    articles_path = articles_path or gold_path.parent / "articles.jsonl"
    articles = load_articles(articles_path) if articles_path.is_file() else {}
    dataset = Dataset(gold_path.parent.name, articles, load_gold(gold_path))
    run = run_model(dataset, FILE_PREFIX + str(pred_path), "default", Settings())
    return build_report(dataset, [score_run(run, dataset, load_prices())])


def run_cost(model: str, records: Iterable[dict[str, Any]], prices: Prices) -> float | None:
    """Dollars for the tokens of a run; None when the model has no price."""
    used = tokens(records) or {"prompt": 0, "completion": 0}
    return token_cost(model, used["prompt"], used["completion"], prices)


def as_article(record: ArticleRecord) -> Article:
    """The article exactly as ``extract`` would read it, so both share cache entries."""
    return record_to_article(record.model_dump(), record.id, None)


async def _collect(dataset: Dataset, settings: Settings) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    articles = (as_article(a) for a in dataset.articles.values())
    async for result in extract_stream(articles, settings):
        records[result.id] = result.to_record()
    return records


def run_model(dataset: Dataset, model: str, prompt: str, settings: Settings) -> Run:
    """Records for every article of the dataset from one model and prompt."""
    if model.startswith(FILE_PREFIX):
        stored = load_predictions(model[len(FILE_PREFIX):])
        records = {key: p.model_dump(mode="json") for key, p in stored.items() if key in dataset.gold}
        return Run(model, None, None, records)
    run_settings = settings.with_(model=model, prompt=prompt)
    check_settings(run_settings)
    records = asyncio.run(_collect(dataset, run_settings))
    version = next((r["prompt_version"] for r in records.values()), None)
    return Run(model, None if run_settings.is_rules else prompt, version, records)


def score_run(run: Run, dataset: Dataset, prices: Prices) -> Run:
    """Scores, failures, tokens, cost and latency of a run."""
    predictions = {key: Prediction.model_validate(record) for key, record in run.records.items()}
    run.scores = score_dataset(dataset.gold, predictions, dataset.articles or None)
    run.cost = stored_cost(run, prices) if run.model.startswith(FILE_PREFIX) else run_cost(run.model, run.records.values(), prices)
    run.extra = {"failures": failures(run.records, dataset), "tokens": tokens(run.records.values()),
                 "latency": latency(run.records.values())}
    return run


def failures(records: dict[str, dict[str, Any]], dataset: Dataset) -> dict[str, Any]:
    """How many gold articles a run did not turn into a valid output, and why."""
    missing = sorted(set(dataset.gold) - set(records))
    counts = {"invalid": 0, "error": 0, "missing": len(missing)}
    reasons: dict[str, list[str]] = {}
    for key, record in records.items():
        status = record.get("status", "ok")
        if status != "ok":
            counts[status if status in counts else "error"] += 1
            reasons[key] = [str(e) for e in record.get("errors", [])][:3]
    return {**counts, "articles": reasons, "missing_ids": missing}


def stored_cost(run: Run, prices: Prices) -> float | None:
    """Cost of stored predictions, priced by the model their records name (if one)."""
    models = {r.get("model") for r in run.records.values()}
    model = models.pop() if len(models) == 1 else None
    return run_cost(model, run.records.values(), prices) if isinstance(model, str) else None


def tokens(records: Iterable[dict[str, Any]]) -> dict[str, int] | None:
    """Tokens over a run's records; None when no record says (stored bare predictions)."""
    total = {"prompt": 0, "completion": 0}
    reported = False
    for record in records:
        usage = record.get("usage")
        if usage:
            reported = True
            total["prompt"] += int(usage.get("prompt_tokens", 0))
            total["completion"] += int(usage.get("completion_tokens", 0))
    return total if reported else None


def latency(records: Iterable[dict[str, Any]]) -> dict[str, float | None]:
    """Seconds per article, median and 95th percentile (cache hits included, marked)."""
    seconds = sorted(float(r["seconds"]) for r in records if r.get("seconds") is not None)
    if not seconds:
        return {"p50": None, "p95": None}
    p95 = seconds[min(len(seconds) - 1, max(0, round(0.95 * len(seconds)) - 1))]
    return {"p50": statistics.median(seconds), "p95": p95}


def run_evals(
    dataset_name: str,
    models: Sequence[str],
    prompts: Sequence[str],
    settings: Settings,
    prices_path: Path | None = None,
) -> dict[str, Any]:
    """Every model with every prompt over the dataset, scored and compared: the report."""
    dataset = load_dataset(dataset_name)
    prices = load_prices(prices_path)
    runs: list[Run] = []
    for model in models:
        model_prompts = [None] if model.startswith(FILE_PREFIX) or model == "rules" else prompts
        for prompt in model_prompts:
            runs.append(score_run(run_model(dataset, model, prompt or "default", settings), dataset, prices))
    return build_report(dataset, runs)


def build_report(dataset: Dataset, runs: list[Run]) -> dict[str, Any]:
    """The report as JSON-ready data: what report.json holds and the renderers read."""
    baseline = runs[0]
    comparisons = []
    for index, run in enumerate(runs[1:], start=1):
        assert run.scores is not None and baseline.scores is not None
        difference = compare_reports(run.scores, baseline.scores)
        comparisons.append({"a": run.label, "b": baseline.label, "a_index": index, "b_index": 0, **difference.to_dict()})
    return {
        "dataset": dataset.name,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "gold": gold_summary(dataset),
        "runs": [run_entry(run) for run in runs],
        "comparisons": comparisons,
        "articles": [
            {"id": a.id, "title": a.title, "published": a.published, "text": a.text, "source": a.source, "url": a.url}
            for a in dataset.articles.values()
        ],
        "gold_events": {key: [e.model_dump(mode="json") for e in events] for key, events in dataset.gold.items()},
    }


def run_entry(run: Run) -> dict[str, Any]:
    assert run.scores is not None
    scores = run.scores.to_dict(details=True)
    return {
        "label": run.label, "model": run.model, "prompt": run.prompt, "prompt_version": run.prompt_version,
        "scores": scores, "cost_usd": run.cost, **run.extra,
        "predicted_events": {key: r.get("events", []) for key, r in run.records.items()},
        "statuses": {key: r.get("status", "ok") for key, r in run.records.items()},
    }


def gold_summary(dataset: Dataset) -> dict[str, Any]:
    from extractor.scoring import event_facts

    events = [e for events in dataset.gold.values() for e in events]
    kinds: dict[str, int] = {}
    for event in events:
        for fact in event_facts(event):
            kinds[str(fact[0])] = kinds.get(str(fact[0]), 0) + 1
    return {"articles": len(dataset.gold), "events": len(events), "facts": sum(kinds.values()), "facts_per_kind": kinds}
