"""``extractor extract`` and ``extractor prompts``: the main job, and what it can be asked with."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from extractor.cli.options import (
    encoding_option,
    model_options,
    published_option,
    reports_errors,
    run_options,
    settings_from,
)
from extractor.output.formats import DATABASE, output_format
from extractor.output.records import FORMATS


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@model_options
@run_options
@published_option
@encoding_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Append records here; a rerun resumes.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, DATABASE]),
              help="jsonl, json, csv (one row per event), or sqlite (a database; needs --output). "
                   "[default: what the --output suffix says (.csv, .json, .db, .sqlite), else jsonl]")
@click.option("--retry-errors", is_flag=True, help="On resume, redo articles whose record is an error.")
@reports_errors
def extract(inputs: tuple[str, ...], published: str | None, encoding: str | None, output: Path | None,
            fmt: str | None,
            retry_errors: bool, **options: Any) -> None:
    """Extract attack events from INPUTS: .txt, .html, .jsonl files, directories, or - for stdin."""
    from extractor.articles import parse_date
    from extractor.run import run_extract

    date = parse_date(published, "--published")
    summary = run_extract(inputs, settings_from(options), output=output, fmt=output_format(output, fmt),
                          published=date, encoding=encoding, retry_errors=retry_errors)
    click.echo(summary.line(), err=True)
    sys.exit(summary.exit_code)


@click.command()
def prompts() -> None:
    """List the prompts and their versions."""
    from extractor.prompting import available_prompts, load_prompt

    for name in available_prompts():
        click.echo(f"{name}\t{load_prompt(name).version}")
