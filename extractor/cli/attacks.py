"""``extractor attacks`` and ``extractor reconcile``: reports into attacks, and attacks against the official count."""

from __future__ import annotations

from pathlib import Path

import click

from extractor.cli.options import articles_option, reports_errors


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The attacks: JSONL or a database are added to (every attack_id kept); CSV is written "
                   "from the runs given. A run's own database may hold its attacks.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "sqlite"]),
              help="[default: what the --output suffix says (.csv, .db, .sqlite), else jsonl]")
@articles_option
@reports_errors
def attacks(runs: tuple[Path, ...], output: Path, fmt: str | None, articles: Path | None) -> None:
    """Group the events of RUNS (extract's JSONL or database) into attacks, one record per attack."""
    from extractor.attacks.incremental import update_attacks

    done = update_attacks(list(runs), output, fmt, articles)
    reports = sum(len(a.reports) for a in done.attacks)
    click.echo(f"wrote {output}: {len(done.attacks)} attacks from {reports} reports; {done.reports_added} reports "
               f"placed, {len(done.changed)} attacks new or changed, {done.articles_unchanged} articles already "
               f"resolved, {done.articles_failed} records without events (not ok)", err=True)


@click.command()
@click.argument("attacks_file", metavar="ATTACKS", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reference", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The official counts: the Massive Missile Attacks table, or date,weapon,launched,intercepted.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the comparisons here: CSV, or a database's reconciliation table (.db); "
                   "without it, a table on the terminal.")
@reports_errors
def reconcile(attacks_file: Path, reference: Path, output: Path | None) -> None:
    """Compare each attack's launched and intercepted counts in ATTACKS (JSONL or database) with a reference."""
    from extractor.attacks.incremental import reconcile_files
    from extractor.attacks.reconcile import comparisons_table

    done = reconcile_files(attacks_file, reference, output)
    for line in done.notes:
        click.echo(line, err=True)
    if output is None:
        click.echo(comparisons_table(done.comparisons))
    click.echo(done.summary(), err=True)
