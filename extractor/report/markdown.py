"""report.md: the eval report as a Markdown document, for pull requests and wikis.

Run labels, article ids and failure reasons are data, and Markdown renders
inline HTML, so every one of them goes through ``md_text``: a label holding
``<script>`` or ``|`` must read as text and must not break a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.evaluation.results import EvalReport, Failures
from extractor.report.format import (
    COLUMNS,
    HOW_TO_READ,
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

# Only what can start markup mid-line: "(" and "!" need a "[" and "#", "-", "+" a line start, which is ours.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")


def md_text(value: object) -> str:
    """Data as literal Markdown text: HTML characters as entities, syntax backslash-escaped."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return " ".join(text.split())  # a newline would end a table row or list item


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> list[str]:
    """A pipe table; columns from ``right_from`` on are numbers and align right."""
    align = ["---" if i < right_from else "---:" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def render_markdown(report: EvalReport) -> str:
    """The whole report.md: summary, runs, fact kinds, comparisons, failures, how to read it."""
    sections = [_heading(report), _runs(report), _kinds(report), _resolution(report), _comparisons(report),
                _failures(report), _how_to_read()]
    return "\n".join(line for section in sections for line in section)


def _heading(report: EvalReport) -> list[str]:
    gold = report.gold
    kinds = ", ".join(f"{KIND_NAMES.get(k, md_text(k))} {fmt_count(n)}" for k, n in gold.facts_per_kind.items())
    return [
        f"# Eval report: {md_text(report.dataset)}",
        "",
        f"Created {md_text(report.created)}. Gold: {fmt_count(gold.articles)} articles, "
        f"{fmt_count(gold.events)} events, {fmt_count(gold.facts)} facts" + (f" ({kinds})." if kinds else "."),
        "",
    ]


def _runs(report: EvalReport) -> list[str]:
    headers = ["#", "Run", "Prompt"] + [header for _, header in COLUMNS]
    rows = [[str(row.number), md_text(row.label), md_text(row.prompt)]
            + [getattr(row, field) for field, _ in COLUMNS] for row in run_rows(report)]
    if not rows:
        return ["## Runs", "", "No runs.", ""]
    return ["## Runs", ""] + md_table(headers, rows, right_from=3)


def _kinds(report: EvalReport) -> list[str]:
    per_kind = report.gold.facts_per_kind
    headers = ["Fact kind", "Gold facts"] + [f"#{n} {md_text(r.label)}" for n, r in enumerate(report.runs, 1)]
    rows = [[KIND_NAMES.get(kind, md_text(kind)), fmt_count(per_kind.get(kind, 0))]
            + [kind_f1(run, kind) for run in report.runs] for kind in report_kinds(report)]
    return ["## F1 per fact kind", ""] + md_table(headers, rows)


def _resolution(report: EvalReport) -> list[str]:
    rows = [[md_text(row[0]), *row[1:]] for row in resolution_rows(report)]
    if not rows:
        return []
    return ["## Reports resolved into attacks", "",
            "Pairwise and B-cubed scores of attack membership, from gold events (resolution alone) and from "
            "each run's events; attacks made against the gold count; resolved figures as facts.", "",
            *md_table(RESOLUTION_HEADERS, rows), ""]


def _comparisons(report: EvalReport) -> list[str]:
    if not report.comparisons:
        return ["## Comparisons", "", "One run only: nothing to compare.", ""]
    headers = ["Run", "Baseline", "Slot F1 difference", "95% interval", "Not better in"]
    rows = [[md_text(c.a), md_text(c.b), fmt_difference(c.difference), fmt_interval(c.ci95),
             fmt_percent(c.share_not_better)] for c in report.comparisons]
    verdicts = [f"- {comparison_verdict(c, md_text(c.a), md_text(c.b))}" for c in report.comparisons]
    return ["## Comparisons", ""] + md_table(headers, rows, right_from=2) + verdicts + [""]


def _failures(report: EvalReport) -> list[str]:
    lines = ["## Failures", ""]
    for number, run in enumerate(report.runs, 1):
        failures = run.failures
        counts = ", ".join(f"{fmt_count(n)} {k}" for k, n in
                           (("invalid", failures.invalid), ("error", failures.error), ("missing", failures.missing)))
        lines.append(f"### #{number} {md_text(run.label)}: {counts}")
        lines.append("")
        lines += _failure_items(failures, run.statuses)
    return lines


def _failure_items(failures: Failures, statuses: dict[str, str]) -> list[str]:
    """One bullet per failed article with its status and reasons; missing ids last."""
    items = []
    for article_id, reasons in failures.articles.items():
        status = statuses.get(article_id, "failed")
        because = "; ".join(md_text(reason) for reason in reasons) or "no reason recorded"
        items.append(f"- `{_code(article_id)}` ({md_text(status)}): {because}")
    items += [f"- `{_code(article_id)}` (missing): no output" for article_id in failures.missing_ids]
    return (items or ["Every article gave a valid output."]) + [""]


def _code(value: object) -> str:
    """Text for inside a code span, which shows backslashes literally: backticks cannot appear."""
    return " ".join(str(value).replace("`", "'").split())


def _how_to_read() -> list[str]:
    lines = ["## How to read this", ""]
    lines += [f"- **{term}.** {text}" for term, text in HOW_TO_READ]
    return lines + [""]
