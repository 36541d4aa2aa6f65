"""``extractor export`` and ``extractor view``: a finished run as a database, or as a page to read it by."""

from __future__ import annotations

from pathlib import Path

import click

from extractor.cli.options import articles_option, reports_errors
from extractor.output.formats import DATABASE
from extractor.output.records import FORMATS

EXPORT_FORMATS = (*FORMATS, DATABASE)


@click.command()
@click.argument("run", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS),
              help="What to write. [default: sqlite for a .db or .sqlite --output, else jsonl]")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write; a database is added to, each record replacing its article's rows.")
@articles_option
@reports_errors
def export(run: Path, fmt: str | None, output: Path, articles: Path | None) -> None:
    """Convert RUN (extract's JSONL output, or its database) into another format, e.g. a SQLite database."""
    from extractor.output.formats import output_format
    from extractor.output.stored import export_run

    count = export_run(run, output, output_format(output, fmt), articles)
    click.echo(f"wrote {count} records to {output}", err=True)


@click.command()
@click.argument("run", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@articles_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The page to write (one self-contained HTML file).")
@click.option("--page-size", type=click.IntRange(min=1), default=100, show_default=True,
              help="Articles per page; the first page also reads without script.")
@click.option("--attacks", "attacks_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Show these attacks (extractor attacks' JSONL or database) above the articles. "
                   "[default: the attacks RUN's database holds, if any]")
@click.option("--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The Air Force's counts (as for reconcile), beside the attacks' figures.")
@reports_errors
def view(run: Path, articles: Path | None, output: Path, page_size: int, attacks_file: Path | None,
         reference: Path | None) -> None:
    """Write one page showing RUN's articles (JSONL or database), each figure's evidence marked in its text."""
    from extractor.report.view import write_view

    page = write_view(run, output, articles, page_size, attacks_file, reference)
    click.echo(f"wrote {output}: {len(page.articles)} articles, {page.marked} of {page.figures} figures marked "
               "in their text", err=True)
