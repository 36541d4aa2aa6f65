"""The eval report on a terminal: the runs, their F1 per fact kind, and the comparisons.

Every renderer reads the typed report (``evaluation.results.EvalReport``, the
same data as report.json) and formats its numbers through ``format``, so the
terminal, report.md and report.html always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from extractor.evaluation.results import EvalReport
from extractor.report.format import (
    KIND_NAMES,
    RESOLUTION_HEADERS,
    comparison_verdict,
    fmt_count,
    fmt_difference,
    fmt_interval,
    fmt_percent,
    kind_f1,
    report_kinds,
    resolution_rows,
    run_rows,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# (RunRow field, header) of the terminal's run tables: quality, then what it costs.
QUALITY_COLUMNS = (
    ("slot_f1", "Slot F1"),
    ("slot_ci", "95% interval"),
    ("event_f1", "Event F1"),
    ("validity", "Valid"),
    ("grounding", "Grounded"),
)
COVERAGE_COLUMNS = (
    ("facts", "Facts / article (gold)"),
    ("empty", "Empty events"),
    ("tokens_per_article", "Tokens / article"),
)
COST_COLUMNS = (
    ("tokens", "Tokens in / out"),
    ("cost", "Cost"),
    ("seconds", "s / article"),
    ("latency", "p50 / p95"),
    ("failures", "Inv / err / miss"),
)
WIDE = 200  # columns a terminal needs to show every group in one table


def print_table(report: EvalReport, console: Console | None = None) -> None:
    """Print the runs, their per-kind F1 and the comparisons: what ``extractor evals`` shows."""
    from rich.console import Console
    from rich.text import Text

    console = console or Console()
    gold = report.gold
    heading = Text.assemble((f"Dataset {report.dataset}", "bold"), f": {fmt_count(gold.articles)} articles, "
                            f"{fmt_count(gold.events)} gold events, {fmt_count(gold.facts)} facts")
    console.print(heading, highlight=False)
    if console.width >= WIDE:
        console.print(_runs_table(report, "Runs", QUALITY_COLUMNS + COVERAGE_COLUMNS + COST_COLUMNS))
    else:
        console.print(_runs_table(report, "Runs: quality", QUALITY_COLUMNS))
        console.print(_runs_table(report, "Runs: what the valid outputs hold", COVERAGE_COLUMNS))
        console.print(_runs_table(report, "Runs: cost, speed and failures", COST_COLUMNS))
    console.print(_kinds_table(report))
    if report.gold_resolution is not None:
        console.print(_resolution_table(report))
    if report.comparisons:
        console.print(_comparisons_table(report))
        for comparison in report.comparisons:
            console.print(f"  {comparison_verdict(comparison)}", markup=False, highlight=False)


def _table(title: str) -> Table:
    from rich.table import Table

    return Table(title=title, title_justify="left", title_style="bold", header_style="bold")


def _runs_table(report: EvalReport, title: str, columns: tuple[tuple[str, str], ...]) -> Table:
    table = _table(title)
    table.add_column("#", justify="right")
    table.add_column("Run", overflow="fold")
    for _, header in columns:
        table.add_column(header, justify="right", no_wrap=True)
    for row in run_rows(report):
        table.add_row(str(row.number), _plain(row.label), *(getattr(row, field) for field, _ in columns))
    return table


def _kinds_table(report: EvalReport) -> Table:
    """Fact kinds as rows and runs (by number) as columns: ten kinds fit down, not across."""
    table = _table("F1 per fact kind (runs numbered as above)")
    table.add_column("Kind")
    table.add_column("Gold facts", justify="right")
    runs = report.runs
    for number in range(1, len(runs) + 1):
        table.add_column(f"#{number}", justify="right")
    per_kind = report.gold.facts_per_kind
    for kind in report_kinds(report):
        cells = [kind_f1(run, kind) for run in runs]
        table.add_row(KIND_NAMES.get(kind, kind), fmt_count(per_kind.get(kind, 0)), *cells)
    return table


def _resolution_table(report: EvalReport) -> Table:
    table = _table("Reports resolved into attacks (gold events show resolution alone)")
    for header in RESOLUTION_HEADERS:
        table.add_column(header, justify="left" if header == RESOLUTION_HEADERS[0] else "right")
    for row in resolution_rows(report):
        table.add_row(_plain(row[0]), *row[1:])
    return table


def _comparisons_table(report: EvalReport) -> Table:
    table = _table("Slot F1 against the baseline (paired bootstrap over articles)")
    for header in ("Run", "Baseline", "Difference", "95% interval", "Not better in"):
        table.add_column(header, justify="left" if header in ("Run", "Baseline") else "right")
    for c in report.comparisons:
        table.add_row(_plain(c.a), _plain(c.b), fmt_difference(c.difference), fmt_interval(c.ci95),
                      fmt_percent(c.share_not_better))
    return table


def _plain(text: str) -> Any:
    """A cell that rich shows literally: labels are data, and '[b]' in one is not markup."""
    from rich.text import Text

    return Text(text)
