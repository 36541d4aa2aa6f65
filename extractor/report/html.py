"""report.html: one self-contained page that shows which run to trust, and why.

The page must open from disk with no network, and the data in it (article
text, model output, labels) must never become markup: the page is rendered
from Jinja2 templates with autoescape on, so every value is text wherever it
lands, and a Content-Security-Policy allows only this page's own style and
script, by hash, so even a slip in a template could neither run script nor
load anything. The style and script are the package's own files, inserted
as they are (their hashes are of exactly that text).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from typing import Any

from extractor.evaluation.results import Comparison, EvalReport
from extractor.report.articles import article_sections
from extractor.report.chart import chart_view
from extractor.report.format import (
    HOW_TO_READ,
    KIND_NAMES,
    NONE,
    UNKNOWN_COST,
    comparison_verdict,
    fmt_count,
    fmt_difference,
    fmt_interval,
    fmt_percent,
    kind_f1,
    report_kinds,
    run_rows,
)
from extractor.report.spans import STATUS_NAMES, STATUS_SYMBOLS, STATUSES

# (RunRow field, header) of the plain numeric columns; F1, run and cost cells are built apart.
PLAIN_COLUMNS = (
    ("event_f1", "Event F1"), ("qualifier", "Qualifiers right"), ("source", "Sources right"),
    ("validity", "Valid"), ("grounding", "Grounded"), ("facts", "Facts / article (gold)"), ("empty", "Empty events"),
    ("tokens", "Tokens in / out"), ("seconds", "Seconds / article"), ("latency", "Latency p50 / p95"),
    ("failures", "Invalid / error / missing"),
)
LEGEND = {
    "matched": "(solid underline) gold and run agree",
    "missed": "(dashed) in gold only",
    "extra": "(dotted) in the run only",
    "wrong": "(double) gold X vs predicted Y",
}


@cache
def asset(name: str) -> str:
    """A file of extractor/report/templates, read as package data so it ships in the wheel."""
    return resources.files("extractor.report").joinpath("templates", name).read_text("utf-8")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def page_security(style: str, script: str) -> str:
    """The page's Content-Security-Policy: nothing but its own inline style and script."""
    return (f"default-src 'none'; style-src {csp_hash(style)}; script-src {csp_hash(script)}; "
            "img-src data:; base-uri 'none'; form-action 'none'")


@cache
def environment() -> Any:
    """The templates' Jinja2 environment: autoescape always on, unknown names an error."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("extractor.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=False)


def render_template(name: str, **values: Any) -> str:
    return str(environment().get_template(name).render(**values))


def render_html(report: EvalReport) -> str:
    """The whole report as one HTML document with inline CSS, SVG and script, and no URLs."""
    from markupsafe import Markup

    style, script = asset("report.css"), asset("report.js")
    return render_template(
        "report.html.j2", report=report, csp=page_security(style, script), style=Markup(style),
        script=Markup(script), rows=run_rows(report), plain_columns=PLAIN_COLUMNS, none_mark=NONE,
        unknown_cost=UNKNOWN_COST, kinds=report_kinds(report), kind_names=KIND_NAMES, kind_f1=kind_f1,
        chart=chart_view(report), sections=article_sections(report), statuses=STATUSES, names=STATUS_NAMES,
        symbols=STATUS_SYMBOLS, legend=LEGEND, how_to_read=HOW_TO_READ, verdict=_verdict,
        fmt_count=fmt_count, fmt_difference=fmt_difference, fmt_interval=fmt_interval, fmt_percent=fmt_percent,
    )


def _verdict(comparison: Comparison) -> str:
    return comparison_verdict(comparison)
