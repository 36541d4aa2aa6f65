"""The numbers of an eval report as display strings, shared by every renderer.

The terminal table, report.md and report.html must never disagree about a
number, how it is rounded, or what an absent one looks like, so each value is
formatted here once. Two absences are kept apart on purpose: a metric with
nothing to measure is "–", while a cost nobody knows is "unknown" (never $0,
which would make an unpriced model look free).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NONE = "–"  # en dash: "nothing to measure"
UNKNOWN_COST = "unknown"
KIND_NAMES = {
    "date": "date",
    "killed": "killed",
    "injured": "injured",
    "weapon": "weapon",
    "launched": "launched",
    "intercepted": "intercepted",
    "place": "place",
    "place_killed": "killed at place",
    "place_injured": "injured at place",
    "damage": "damage",
}
# Below this share of resamples a lead counts as real (see bootstrap.PairedDifference).
SIGNIFICANCE = 0.05


def fmt_score(value: float | None) -> str:
    """An F1, precision or recall: three decimals, as papers print them."""
    return NONE if value is None else f"{value:.3f}"


def fmt_percent(value: float | None) -> str:
    """A rate as a percentage; one decimal so that 99.6% never prints as 100%."""
    if value is None:
        return NONE
    if value in (0, 1):
        return f"{value:.0%}"
    return f"{value * 100:.1f}%"


def fmt_interval(interval: Sequence[float] | None) -> str:
    return NONE if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def fmt_difference(value: float | None) -> str:
    return NONE if value is None else f"{value:+.3f}"


def fmt_cost(value: float | None) -> str:
    """Dollars to three significant figures; None is an unknown price, not a free one."""
    if value is None:
        return UNKNOWN_COST
    if value == 0:
        return "$0"
    if value >= 1000:
        return f"${value:,.0f}"
    return f"${value:.3g}"


def cost_per_thousand(cost: float | None, articles: int | None) -> float | None:
    """What the run would cost for 1,000 articles: comparable across dataset sizes."""
    if cost is None or not articles:
        return None
    return cost / articles * 1000


def fmt_seconds(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}\u00a0s"  # no-break space: "13.0" and "s" stay together


def fmt_count(value: int | None) -> str:
    return NONE if value is None else f"{value:,}"


@dataclass(frozen=True)
class RunRow:
    """One run's line of the comparison table, every cell already a string."""

    number: int
    label: str
    model: str
    prompt: str
    slot_f1: str
    slot_ci: str
    slot_precision: str
    slot_recall: str
    event_f1: str
    qualifier: str
    source: str
    validity: str
    grounding: str
    tokens: str
    cost: str
    cost_per_1k: str
    latency: str
    failures: str


# (RunRow field, column header); the renderers choose which to show.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("slot_f1", "Slot F1"),
    ("slot_ci", "95% interval"),
    ("slot_precision", "Slot P"),
    ("slot_recall", "Slot R"),
    ("event_f1", "Event F1"),
    ("qualifier", "Qualifiers"),
    ("source", "Sources"),
    ("validity", "Valid"),
    ("grounding", "Grounded"),
    ("tokens", "Tokens in / out"),
    ("cost", "Cost"),
    ("cost_per_1k", "Cost / 1k articles"),
    ("latency", "Latency p50 / p95"),
    ("failures", "Invalid / error / missing"),
)


def run_row(run: Mapping[str, Any], number: int) -> RunRow:
    """Format one run of the report dict; absent keys read as unmeasured, not as zero."""
    scores = run.get("scores") or {}
    slots = scores.get("slots") or {}
    tokens = run.get("tokens") or {}
    latency = run.get("latency") or {}
    failures = run.get("failures") or {}
    prompt = run.get("prompt")
    version = run.get("prompt_version")
    return RunRow(
        number=number,
        label=str(run.get("label", f"run {number}")),
        model=str(run.get("model", NONE)),
        prompt=NONE if prompt is None else (f"{prompt} ({version})" if version else str(prompt)),
        slot_f1=fmt_score(slots.get("f1")),
        slot_ci=fmt_interval(slots.get("ci95")),
        slot_precision=fmt_score(slots.get("precision")),
        slot_recall=fmt_score(slots.get("recall")),
        event_f1=fmt_score((scores.get("events") or {}).get("f1")),
        qualifier=fmt_percent(scores.get("qualifier_accuracy")),
        source=fmt_percent(scores.get("source_accuracy")),
        validity=fmt_percent(scores.get("validity_rate")),
        grounding=fmt_percent(scores.get("grounding_rate")),
        tokens=f"{fmt_count(tokens.get('prompt'))} / {fmt_count(tokens.get('completion'))}",
        cost=fmt_cost(run.get("cost_usd")),
        cost_per_1k=fmt_cost(cost_per_thousand(run.get("cost_usd"), scores.get("articles"))),
        latency=f"{fmt_seconds(latency.get('p50'))} / {fmt_seconds(latency.get('p95'))}",
        failures=" / ".join(fmt_count(failures.get(k)) for k in ("invalid", "error", "missing")),
    )


def run_rows(report: Mapping[str, Any]) -> list[RunRow]:
    return [run_row(run, number) for number, run in enumerate(report.get("runs") or [], start=1)]


def kind_f1(run: Mapping[str, Any], kind: str) -> str:
    counts = ((run.get("scores") or {}).get("per_kind") or {}).get(kind) or {}
    return fmt_score(counts.get("f1"))


def report_kinds(report: Mapping[str, Any]) -> list[str]:
    """The fact kinds to show: the codebook's order, then any the data adds."""
    seen: list[str] = list(KIND_NAMES)
    for run in report.get("runs") or []:
        for kind in (run.get("scores") or {}).get("per_kind") or {}:
            if kind not in seen:
                seen.append(kind)
    return seen


def comparison_verdict(comparison: Mapping[str, Any]) -> str:
    """One plain sentence on whether run A beat run B, for readers who skip statistics."""
    a, b = comparison.get("a", "A"), comparison.get("b", "B")
    difference, interval = comparison.get("difference"), comparison.get("ci95")
    share = comparison.get("share_not_better")
    if difference is None or share is None:
        return f"{a} and {b} cannot be compared: there were no facts to score."
    resamples = comparison.get("resamples")
    drawn = f"{share:.1%} of {resamples:,} resamples" if resamples else f"{share:.1%} of resamples"
    if share < SIGNIFICANCE:
        return (f"{a} is better than {b}: it was not better in only {drawn} of the articles, "
                "so its lead is unlikely to come from which articles happened to be in the set.")
    if interval is not None and interval[1] < 0:
        return (f"{a} is worse than {b}: the whole 95% interval of the difference is below zero "
                f"({a} was not better in {drawn}).")
    if interval is not None and interval[0] == interval[1] == difference == 0:
        return f"{a} and {b} scored the same slot F1 in every resample of the articles."
    return (f"No clear difference between {a} and {b}: {a} was not better in {drawn}, "
            "and the 95% interval of the difference includes zero; more articles would be needed "
            "to tell them apart.")


HOW_TO_READ: tuple[tuple[str, str], ...] = (
    ("Slot F1", "The headline number. Every event is broken into facts (its date, each casualty "
     "figure, each weapon and its counts, each place, each damage category). A fact counts as "
     "found only when the model's event that was paired with the gold event states it with the "
     "same value. Precision is the share of the model's facts that are right, recall the share of "
     "gold facts it found, and F1 their harmonic mean: 1.000 is perfect, 0 is nothing right."),
    ("95% interval", "How much slot F1 could move with a different sample of articles of the "
     "same kind: the articles were resampled 1,000 times with a fixed seed. Wide intervals mean "
     "the dataset is too small to rank close runs; overlapping intervals are not a verdict, the "
     "paired comparison below is."),
    ("Comparisons", "Each run against the first (the baseline), on the same articles: the "
     "difference of slot F1, its 95% interval, and the share of resamples in which the run was "
     "not better. Below 5%, the lead is unlikely to be luck."),
    ("Event F1", "Whether the model found the right attacks at all (same attacker, target and "
     "date or places), before looking at their details."),
    ("Valid, grounded", "Valid: the share of articles whose output passed the schema. Grounded: "
     "the share of quoted evidence strings that really occur in the article."),
    ("Cost", "What the run cost at the listed token prices; \"unknown\" when the model has no "
     "price (it is not free). \"–\" anywhere means there was nothing to measure."),
)
