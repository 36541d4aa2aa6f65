"""``extractor attacks`` and ``extractor reconcile``: reports into attacks, and attacks against the official count."""

from __future__ import annotations

from pathlib import Path

import click

from extractor.cli.options import articles_option, reports_errors


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The attacks file: JSONL is added to (ids kept), CSV written from the runs given.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]),
              help="[default: csv for a .csv --output, else jsonl]")
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
              help="Write the comparisons as CSV here; without it, a table on the terminal.")
@reports_errors
def reconcile(attacks_file: Path, reference: Path, output: Path | None) -> None:
    """Compare each attack's launched and intercepted counts in ATTACKS with a reference table."""
    from collections import Counter

    from extractor.attacks.reconcile import comparisons_csv, comparisons_table
    from extractor.attacks.reconcile import reconcile as compare
    from extractor.attacks.reference import read_reference
    from extractor.attacks.store import read_attacks, replace_file
    from extractor.errors import InputError

    if not attacks_file.is_file():
        raise InputError(f"{attacks_file}: no such attacks file; make one with extractor attacks")
    table = read_reference(reference)
    resolved = read_attacks(attacks_file)
    comparisons = compare(resolved, table)
    for line in table.problems():
        click.echo(f"warning: {line}", err=True)
    outside = len(table.nights.keys() - {a.date for a in resolved})
    if outside:
        click.echo(f"note: {outside} nights of {reference} have no attack here (outside the attacks' dates)", err=True)
    if output is None:
        click.echo(comparisons_table(comparisons))
    else:
        replace_file(output, comparisons_csv(comparisons))
    counts = Counter(c.status for c in comparisons)
    click.echo(", ".join(f"{counts[s]} {s}" for s in ("agrees", "differs", "not_reported", "not_in_reference")),
               err=True)
