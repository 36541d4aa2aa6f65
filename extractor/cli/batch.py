"""``extractor batch submit|status|collect``: large corpora through a provider's Batch API.

Thin like the rest of the CLI: parse, call ``extractor.batch``,
print. Exit codes are the CLI's: 0 done; 1 some articles failed or have no
answer; 2 bad input or settings (a missing or already used state directory
too); 3 a fatal model error (bad key, no quota).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from extractor.batch.requests import MAX_FILE_BYTES, MAX_REQUESTS_PER_FILE
from extractor.cli.options import (
    cache_dir_option,
    concurrency_option,
    model_options,
    no_cache_option,
    published_option,
    reports_errors,
    settings_from,
)

state_option = click.option(
    "--state", "state_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="The batch state directory (state.json, articles.jsonl, request files).",
)


def _warn(message: str) -> None:
    click.echo(message, err=True)


@click.group()
def batch() -> None:
    """Extract through a Batch API (about half price, answers within 24 h): submit, status, collect."""


@batch.command()
@click.argument("inputs", nargs=-1, required=True)
@model_options
@published_option
@state_option
@click.option("--max-requests-per-file", type=click.IntRange(min=1), default=MAX_REQUESTS_PER_FILE,
              show_default=True, help="Requests per batch file (the provider's limit).")
@click.option("--max-file-bytes", type=click.IntRange(min=1), default=MAX_FILE_BYTES, show_default=True,
              help="Bytes per batch file (the provider's limit).")
@reports_errors
def submit(inputs: tuple[str, ...], published: str | None, state_dir: Path, max_requests_per_file: int,
           max_file_bytes: int, **options: Any) -> None:
    """Submit INPUTS as batches; articles already answered in the cache are not sent.

    A state directory is submitted once; rerunning submit only finishes an
    interrupted submit.
    """
    from extractor.articles import parse_date
    from extractor.batch.submit import submit_batches

    date = parse_date(published, "--published")
    summary = submit_batches(inputs, settings_from(options), state_dir, published=date,
                             max_requests=max_requests_per_file, max_bytes=max_file_bytes, warn=_warn)
    click.echo(f"{summary.line()}; state in {state_dir}", err=True)
    sys.exit(summary.exit_code)


@batch.command()
@state_option
@reports_errors
def status(state_dir: Path) -> None:
    """Show each batch's status and request counts, and the totals."""
    from extractor.batch.status import batch_statuses

    state, statuses = batch_statuses(state_dir)
    totals = [0, 0, 0]
    for s in statuses:
        click.echo(f"{s.entry.batch_id or '-'}\t{s.status}\t{s.completed} completed\t{s.failed} failed\t"
                   f"{s.total} total\t{s.entry.file}")
        if s.dead:
            click.echo(f"  {s.problem()}")
        totals = [totals[0] + s.completed, totals[1] + s.failed, totals[2] + s.total]
    finished = sum(1 for s in statuses if not s.pending)
    click.echo(f"total\t{finished} of {len(statuses)} batches finished\t{totals[0]} completed\t{totals[1]} failed\t"
               f"{totals[2]} total\t{len(state.cached)} answered from cache at submit")


@batch.command()
@state_option
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Append records here (JSONL, as extract writes); ids already there are skipped.")
@click.option("--requeue", is_flag=True, help="Run invalid, failed and unanswered articles live, with re-asks.")
@concurrency_option
@cache_dir_option
@no_cache_option
@reports_errors
def collect(state_dir: Path, output: Path, requeue: bool, concurrency: int, cache_dir: Path | None,
            no_cache: bool) -> None:
    """Write records for finished batches; batches still running are left for a later collect."""
    from extractor.batch.collect import collect_batches

    summary = collect_batches(state_dir, output, requeue=requeue, warn=_warn, cache_dir=cache_dir,
                              use_cache=not no_cache, concurrency=concurrency)
    click.echo(summary.line(), err=True)
    sys.exit(summary.exit_code)
