"""Renderers of the typed eval report (the terminal table, report.md and report.html), and view.html.

Each report renderer reads ``evaluation.results.EvalReport`` and formats
numbers through ``format``; ``view`` renders one run's articles, with no gold
needed. HTML comes from Jinja2 templates with autoescape, so data never
becomes markup.
"""

from __future__ import annotations

from pathlib import Path

from extractor.evaluation.results import EvalReport
from extractor.report.html import render_html
from extractor.report.markdown import render_markdown
from extractor.report.terminal import print_table

__all__ = ["print_table", "render_html", "render_markdown", "write_report"]


def write_report(report: EvalReport, directory: Path) -> dict[str, Path]:
    """Write report.json, report.md and report.html into ``directory`` (created if need be)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    documents = {
        "json": ("report.json", report.model_dump_json(indent=2) + "\n"),
        "md": ("report.md", render_markdown(report)),
        "html": ("report.html", render_html(report)),
    }
    paths: dict[str, Path] = {}
    for key, (name, text) in documents.items():
        paths[key] = directory / name
        paths[key].write_text(text, encoding="utf-8")
    return paths
