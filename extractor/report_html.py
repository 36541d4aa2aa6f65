"""report.html: one self-contained page that shows which run to trust, and why.

The page must open from disk with no network, and the data in it (article
text, model output, labels) must never become markup: every value is passed
through ``html.escape`` before it meets the page, the skeleton is filled by
``string.Template`` (which does not re-read what it inserts), and a
Content-Security-Policy allows only this page's own style and script, by
hash, so even a slip in escaping could neither run script nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any

from extractor.report_articles import render_articles
from extractor.report_chart import render_chart
from extractor.report_format import (
    HOW_TO_READ,
    KIND_NAMES,
    NONE,
    UNKNOWN_COST,
    RunRow,
    comparison_verdict,
    fmt_count,
    fmt_difference,
    fmt_interval,
    fmt_percent,
    kind_f1,
    report_kinds,
    run_rows,
)
from extractor.report_spans import STATUS_NAMES, STATUS_SYMBOLS, STATUSES

# (RunRow field, header) of the plain numeric columns; F1, run and cost cells are built apart.
PLAIN_COLUMNS = (
    ("event_f1", "Event F1"), ("qualifier", "Qualifiers right"), ("source", "Sources right"),
    ("validity", "Valid"), ("grounding", "Grounded"),
    ("tokens", "Tokens in / out"), ("latency", "Latency p50 / p95"), ("failures", "Invalid / error / missing"),
)


@cache
def _asset(name: str) -> str:
    """A file of extractor/templates, read as package data so it ships in the wheel."""
    return resources.files("extractor").joinpath("templates", name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_html(report: Mapping[str, Any]) -> str:
    """The whole report as one HTML document with inline CSS, SVG and script, and no URLs."""
    style, script = _asset("report.css"), _asset("report.js")
    csp = (f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    body = "\n".join([
        _header(report), _section("runs", "Runs", _runs_table(report)),
        _section("quality-cost", "Quality against cost", _chart_intro() + render_chart(report)),
        _section("comparisons", "Comparisons with the baseline", _comparisons(report)),
        _section("kinds", "F1 per fact kind", _kinds_table(report)),
        _section("failures", "Failures", _failures(report)),
        _section("articles", "Articles: facts in the text", _articles_intro(report) + render_articles(report)),
        _section("how-to-read", "How to read this", _how_to_read()),
        f"<footer>extractor eval report · created {escape(str(report.get('created', '')))}</footer>",
    ])
    title = f"Eval report: {report.get('dataset', '?')}"
    return Template(_asset("report.html")).substitute(
        csp=csp, title=escape(title), style=style, script=script, body=body)


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{content}</section>'


def _header(report: Mapping[str, Any]) -> str:
    gold = report.get("gold") or {}
    runs = len(report.get("runs") or [])
    return (
        f"<header><h1>Eval report: {escape(str(report.get('dataset', '?')))}</h1>"
        f'<p class="lead">{fmt_count(runs)} runs scored on {fmt_count(gold.get("articles"))} hand-labelled '
        f'articles holding {fmt_count(gold.get("events"))} attack events and {fmt_count(gold.get("facts"))} '
        "facts. The first run is the baseline every other run is compared with.</p></header>"
    )


def _th(text: str, numeric: bool = True) -> str:
    css = ' class="num"' if numeric else ""
    return f'<th scope="col"{css}>{text}</th>'


def _runs_table(report: Mapping[str, Any]) -> str:
    headers = [_th("#"), _th("Run", False), _th("Slot F1 (95% interval)"), _th("Slot P / R")]
    headers += [_th(header) for _, header in PLAIN_COLUMNS] + [_th("Cost (per 1k articles)")]
    rows = [_run_row(index, row) for index, row in enumerate(run_rows(report))]
    if not rows:
        return "<p>No runs.</p>"
    return (f'<div class="table-wrap"><table class="runs"><thead><tr>{"".join(headers)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _run_row(index: int, row: RunRow) -> str:
    parts = [] if row.model == row.label else [f"model {row.model}"]
    parts += [] if row.prompt == NONE else [f"prompt {row.prompt}"]
    sub = f'<span class="run-sub">{escape(" · ".join(parts))}</span>' if parts else ""
    cells = [
        f'<td class="num">{row.number}</td>',
        f'<th scope="row"><span class="run-label">{escape(row.label).replace("/", "/<wbr>")}</span>{sub}</th>',
        f'<td class="num"><span class="headline">{escape(row.slot_f1)}</span><span class="ci-text">{escape(row.slot_ci)}</span></td>',
        f'<td class="num">{escape(row.slot_precision)} / {escape(row.slot_recall)}</td>',
    ]
    cells += [f'<td class="num">{_breakable(getattr(row, field))}</td>' for field, _ in PLAIN_COLUMNS]
    cost_class = ' class="num unknown"' if row.cost == UNKNOWN_COST else ' class="num"'
    per_k = "" if row.cost == UNKNOWN_COST else f'<span class="per-k">{escape(row.cost_per_1k)} / 1k</span>'
    cells.append(f"<td{cost_class}>{escape(row.cost)}{per_k}</td>")
    return f'<tr data-run="{index}">{"".join(cells)}</tr>'


def _breakable(cell: str) -> str:
    """A "x / y" cell that may wrap after its slash, so pairs of numbers fit narrow columns."""
    return escape(cell).replace(" / ", " /<wbr> ")


def _chart_intro() -> str:
    return ('<p class="note">Up and to the left is better: higher slot F1 for less money. Bars are 95% intervals. '
            "Runs whose cost is unknown sit in the marked lane at the right, not at $0.</p>")


def _comparisons(report: Mapping[str, Any]) -> str:
    comparisons = report.get("comparisons") or []
    if not comparisons:
        return "<p>One run only: nothing to compare.</p>"
    head = "".join([_th("Run", False), _th("Baseline", False), _th("Slot F1 difference"),
                    _th("95% interval"), _th("Not better in")])
    rows = "".join(
        f"<tr><td>{escape(str(c.get('a')))}</td><td>{escape(str(c.get('b')))}</td>"
        f'<td class="num">{fmt_difference(c.get("difference"))}</td><td class="num">{fmt_interval(c.get("ci95"))}</td>'
        f'<td class="num">{fmt_percent(c.get("share_not_better"))}</td></tr>' for c in comparisons
    )
    verdicts = "".join(f"<li>{escape(comparison_verdict(c))}</li>" for c in comparisons)
    return (f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
            f'<ul class="verdicts">{verdicts}</ul>')


def _kinds_table(report: Mapping[str, Any]) -> str:
    runs = report.get("runs") or []
    per_kind = (report.get("gold") or {}).get("facts_per_kind") or {}
    head = [_th("Fact kind", False), _th("Gold facts")]
    head += [_th(f"#{n} {escape(str(run.get('label', '')))}") for n, run in enumerate(runs, 1)]
    rows = "".join(
        f'<tr><th scope="row">{escape(KIND_NAMES.get(kind, kind))}</th>'
        f'<td class="num">{fmt_count(per_kind.get(kind, 0))}</td>'
        + "".join(f'<td class="num">{kind_f1(run, kind)}</td>' for run in runs) + "</tr>"
        for kind in report_kinds(report)
    )
    return f'<div class="table-wrap"><table><thead><tr>{"".join(head)}</tr></thead><tbody>{rows}</tbody></table></div>'


def _failures(report: Mapping[str, Any]) -> str:
    items = []
    for number, run in enumerate(report.get("runs") or [], 1):
        failures = run.get("failures") or {}
        reasons = [(article_id, "; ".join(map(str, why)) or "no reason recorded")
                   for article_id, why in (failures.get("articles") or {}).items()]
        reasons += [(article_id, "missing: no output") for article_id in failures.get("missing_ids") or []]
        if reasons:
            lines = "".join(f"<li><code>{escape(str(a))}</code>: {escape(r)}</li>" for a, r in reasons)
            items.append(f"<li><strong>#{number} {escape(str(run.get('label', '')))}</strong><ul>{lines}</ul></li>")
    if not items:
        return "<p>Every run gave a valid output for every article.</p>"
    return f'<ul class="failures">{"".join(items)}</ul>'


def _articles_intro(report: Mapping[str, Any]) -> str:
    """The legend and the run chooser (hidden until the script shows it, as only script can use it)."""
    legend = "".join(
        f'<span class="item"><mark class="hl hl-{s}">evidence</mark><span class="tag tag-{s}">'
        f"{STATUS_SYMBOLS[s]} {STATUS_NAMES[s]}</span> {_LEGEND[s]}</span>" for s in STATUSES
    )
    options = "".join(f'<option value="{i}">#{i + 1} {escape(str(run.get("label", "")))}</option>'
                      for i, run in enumerate(report.get("runs") or []))
    return (
        '<p class="note">Each figure\'s evidence quote is marked in the text; the facts with no quote '
        "(dates, places, weapons, damage) are listed under each article.</p>"
        f'<div class="legend" role="note">{legend}</div>'
        '<div class="chooser" id="run-chooser" hidden><label for="run-select">Show run </label>'
        f'<select id="run-select">{options}</select></div>'
    )


_LEGEND = {
    "matched": "(solid underline) gold and run agree",
    "missed": "(dashed) in gold only",
    "extra": "(dotted) in the run only",
    "wrong": "(double) gold X vs predicted Y",
}


def _how_to_read() -> str:
    return '<dl class="how">' + "".join(f"<dt>{term}</dt><dd>{escape(text)}</dd>" for term, text in HOW_TO_READ) + "</dl>"
