"""The numbers of an eval report as display strings, shared by every renderer.

The terminal table, report.md and report.html must never disagree about a
number, how it is rounded, or what an absent one looks like, so each value is
formatted here once. Two absences are kept apart on purpose: a metric with
nothing to measure is "–", while a cost nobody knows is "unknown" (never $0,
which would make an unpriced model look free).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from extractor.evaluation.results import Comparison, EvalReport, RunReport

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


def fmt_rate(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


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
    facts: str
    empty: str
    tokens: str
    tokens_per_article: str
    cost: str
    cost_per_1k: str
    seconds: str
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
    ("facts", "Facts / article (gold)"),
    ("empty", "Empty events"),
    ("tokens", "Tokens in / out"),
    ("tokens_per_article", "Tokens / article"),
    ("cost", "Cost"),
    ("cost_per_1k", "Cost / 1k articles"),
    ("seconds", "Seconds / article"),
    ("latency", "Latency p50 / p95"),
    ("failures", "Invalid / error / missing"),
)


def _per_article(total: int | None, articles: int) -> str:
    return NONE if total is None or not articles else f"{total / articles:,.0f}"


def run_row(run: RunReport, number: int) -> RunRow:
    """Format one run of the report."""
    scores, tokens, coverage = run.scores, run.tokens, run.coverage
    prompt, version = run.prompt, run.prompt_version
    return RunRow(
        number=number,
        label=run.label,
        model=run.model,
        prompt=NONE if prompt is None else (f"{prompt} ({version})" if version else prompt),
        slot_f1=fmt_score(scores.slots.f1),
        slot_ci=fmt_interval(scores.slots.ci95),
        slot_precision=fmt_score(scores.slots.precision),
        slot_recall=fmt_score(scores.slots.recall),
        event_f1=fmt_score(scores.events.f1),
        qualifier=fmt_percent(scores.qualifier_accuracy),
        source=fmt_percent(scores.source_accuracy),
        validity=fmt_percent(scores.validity_rate),
        grounding=fmt_percent(scores.grounding_rate),
        facts=f"{fmt_rate(coverage.facts_per_article)} ({fmt_rate(coverage.gold_facts_per_article)})",
        empty=f"{fmt_percent(coverage.empty_share)} of {fmt_count(coverage.events)}",
        tokens=f"{fmt_count(tokens.prompt if tokens else None)} / {fmt_count(tokens.completion if tokens else None)}",
        tokens_per_article=_per_article(tokens.prompt + tokens.completion if tokens else None, scores.articles),
        cost=fmt_cost(run.cost_usd),
        cost_per_1k=fmt_cost(cost_per_thousand(run.cost_usd, scores.articles)),
        seconds=fmt_seconds(run.seconds_per_article),
        latency=f"{fmt_seconds(run.latency.p50)} / {fmt_seconds(run.latency.p95)}",
        failures=" / ".join(fmt_count(n) for n in (run.failures.invalid, run.failures.error, run.failures.missing)),
    )


def run_rows(report: EvalReport) -> list[RunRow]:
    return [run_row(run, number) for number, run in enumerate(report.runs, start=1)]


QUALIFIER_WORDS = {"exact": "", "approximately": "about ", "at_least": "at least ", "more_than": "more than ",
                   "up_to": "up to "}


def weapon_name(category: str, model: str | None) -> str:
    return category.replace("_", " ") + (f" · {model}" if model else "")


RESOLUTION_HEADERS = ("Events of", "Pair P", "Pair R", "Pair F1", "95% interval", "B³ F1", "Attacks (gold)",
                      "Figures F1", "Near misses apart")


def resolution_rows(report: EvalReport) -> list[list[str]]:
    """Reports into attacks, from gold events then from each run's: the cells every renderer shows."""
    found = [("gold events", report.gold_resolution)] + [(run.label, run.resolution) for run in report.runs]
    rows = []
    for label, scores in found:
        if scores is None:
            continue
        rows.append([label, fmt_score(scores.pairwise.precision), fmt_score(scores.pairwise.recall),
                     fmt_score(scores.pairwise.f1), fmt_interval(scores.pairwise_ci95), fmt_score(scores.bcubed.f1),
                     f"{scores.attacks} ({scores.gold_attacks})", fmt_score(scores.figures.f1),
                     f"{scores.near_misses_apart}/{scores.near_misses}"])
    return rows


def kind_f1(run: RunReport, kind: str) -> str:
    rates = run.scores.per_kind.get(kind)
    return fmt_score(rates.f1 if rates else None)


def report_kinds(report: EvalReport) -> list[str]:
    """The fact kinds to show: the codebook's order, then any the data adds."""
    seen: list[str] = list(KIND_NAMES)
    for run in report.runs:
        seen += [kind for kind in run.scores.per_kind if kind not in seen]
    return seen


def comparison_verdict(comparison: Comparison, a: str | None = None, b: str | None = None) -> str:
    """One plain sentence on whether run A beat run B, for readers who skip statistics.

    ``a`` and ``b`` replace the labels (a renderer passes them escaped for its format).
    """
    a, b = a or comparison.a, b or comparison.b
    difference, interval, share = comparison.difference, comparison.ci95, comparison.share_not_better
    if difference is None or share is None:
        return f"{a} and {b} cannot be compared: there were no facts to score."
    resamples = comparison.resamples
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
    ("Facts, empty events", "Whether valid outputs hold anything: facts per article of the run's "
     "valid outputs, with gold's in brackets, and the share of its events that carry no figure, place "
     "or weapon. A run can be valid on every article and still extract nothing."),
    ("Cost", "What the run cost at the listed token prices; \"unknown\" when the model has no "
     "price (it is not free). \"–\" anywhere means there was nothing to measure."),
)
