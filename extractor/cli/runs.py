"""``extractor export``: a finished run in another format, such as a SQLite database."""

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
    from extractor.output.runs import export_run

    count = export_run(run, output, output_format(output, fmt), articles)
    click.echo(f"wrote {count} records to {output}", err=True)
