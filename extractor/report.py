"""Eval reports for people: a terminal table, report.md and a self-contained report.html.

Every renderer reads the report dict that ``evals.build_report`` makes (the
same data as report.json) and formats its numbers through ``report_format``,
so the three views always agree. This module holds the terminal views and the
writer; ``report_markdown`` and ``report_html`` hold the documents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extractor.report_format import (
    KIND_NAMES,
    comparison_verdict,
    fmt_count,
    fmt_difference,
    fmt_interval,
    fmt_percent,
    kind_f1,
    report_kinds,
    run_rows,
)
from extractor.report_html import render_html
from extractor.report_markdown import render_markdown

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["print_table", "render_html", "render_markdown", "write_report"]

# (RunRow field, header) of the terminal's run tables: quality, then what it costs.
QUALITY_COLUMNS = (
    ("slot_f1", "Slot F1"),
    ("slot_ci", "95% interval"),
    ("event_f1", "Event F1"),
    ("validity", "Valid"),
    ("grounding", "Grounded"),
)
COST_COLUMNS = (
    ("tokens", "Tokens in / out"),
    ("cost", "Cost"),
    ("latency", "p50 / p95"),
    ("failures", "Inv / err / miss"),
)
WIDE = 150  # columns a terminal needs to show both groups in one table


def print_table(report: Mapping[str, Any], console: Console | None = None) -> None:
    """Print the runs, their per-kind F1 and the comparisons: what ``extractor evals`` shows."""
    from rich.console import Console

    console = console or Console()
    gold = report.get("gold") or {}
    console.print(
        f"[bold]Dataset {report.get('dataset', '?')}[/]: {fmt_count(gold.get('articles'))} articles, "
        f"{fmt_count(gold.get('events'))} gold events, {fmt_count(gold.get('facts'))} facts",
        markup=True, highlight=False,
    )
    if console.width >= WIDE:
        console.print(_runs_table(report, "Runs", QUALITY_COLUMNS + COST_COLUMNS))
    else:
        console.print(_runs_table(report, "Runs: quality", QUALITY_COLUMNS))
        console.print(_runs_table(report, "Runs: cost, speed and failures", COST_COLUMNS))
    console.print(_kinds_table(report))
    if report.get("comparisons"):
        console.print(_comparisons_table(report))
        for comparison in report["comparisons"]:
            console.print(f"  {comparison_verdict(comparison)}", markup=False, highlight=False)


def _table(title: str) -> Table:
    from rich.table import Table

    return Table(title=title, title_justify="left", title_style="bold", header_style="bold")


def _runs_table(report: Mapping[str, Any], title: str, columns: tuple[tuple[str, str], ...]) -> Table:
    table = _table(title)
    table.add_column("#", justify="right")
    table.add_column("Run", overflow="fold")
    for _, header in columns:
        table.add_column(header, justify="right", no_wrap=True)
    for row in run_rows(report):
        table.add_row(str(row.number), _plain(row.label), *(getattr(row, field) for field, _ in columns))
    return table


def _kinds_table(report: Mapping[str, Any]) -> Table:
    """Fact kinds as rows and runs (by number) as columns: ten kinds fit down, not across."""
    table = _table("F1 per fact kind (runs numbered as above)")
    table.add_column("Kind")
    table.add_column("Gold facts", justify="right")
    runs = report.get("runs") or []
    for number in range(1, len(runs) + 1):
        table.add_column(f"#{number}", justify="right")
    per_kind = (report.get("gold") or {}).get("facts_per_kind") or {}
    for kind in report_kinds(report):
        cells = [kind_f1(run, kind) for run in runs]
        table.add_row(KIND_NAMES.get(kind, kind), fmt_count(per_kind.get(kind, 0)), *cells)
    return table


def _comparisons_table(report: Mapping[str, Any]) -> Table:
    table = _table("Slot F1 against the baseline (paired bootstrap over articles)")
    for header in ("Run", "Baseline", "Difference", "95% interval", "Not better in"):
        table.add_column(header, justify="left" if header in ("Run", "Baseline") else "right")
    for comparison in report.get("comparisons") or []:
        table.add_row(
            _plain(str(comparison.get("a"))), _plain(str(comparison.get("b"))),
            fmt_difference(comparison.get("difference")), fmt_interval(comparison.get("ci95")),
            fmt_percent(comparison.get("share_not_better")),
        )
    return table


def _plain(text: str) -> Any:
    """A cell that rich shows literally: labels are data, and '[b]' in one is not markup."""
    from rich.text import Text

    return Text(text)


def write_report(report: Mapping[str, Any], directory: Path) -> dict[str, Path]:
    """Write report.json, report.md and report.html into ``directory`` (created if need be)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    documents = {
        "json": ("report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n"),
        "md": ("report.md", render_markdown(report)),
        "html": ("report.html", render_html(report)),
    }
    paths: dict[str, Path] = {}
    for key, (name, text) in documents.items():
        paths[key] = directory / name
        paths[key].write_text(text, encoding="utf-8")
    return paths
