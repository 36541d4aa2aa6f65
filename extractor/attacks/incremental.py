"""The jobs on files: read runs and add their reports to the attacks already resolved (the morning job),
and hold attacks against a reference table (reconcile).

An existing JSONL output is the state: its attacks keep their ids, new
reports join them or make new attacks, and only the attacks that changed
are resolved again. The output is replaced in one step under a lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from extractor.articles import Article, read_articles
from extractor.attacks.database import (
    open_attacks_database,
    read_attacks_database,
    write_attacks_database,
    write_comparisons,
)
from extractor.attacks.model import Attack
from extractor.attacks.reconcile import Comparison, comparisons_csv, reconcile
from extractor.attacks.reference import read_reference
from extractor.attacks.reports import Provenance, Resolution, resolve_attacks
from extractor.attacks.store import attacks_lock, read_attacks, replace_file, write_attacks
from extractor.errors import ConfigError, InputError
from extractor.output.formats import DATABASE, DATABASE_SUFFIXES, output_format
from extractor.output.sqlite import is_database
from extractor.output.stored import load_run
from extractor.record import Record

FORMATS = ("jsonl", "csv", DATABASE)


def attacks_format(output: Path, fmt: str | None) -> str:
    """The format the user asked for, else what the output's suffix (or a database's content) says, else JSONL."""
    if fmt:
        return fmt
    if is_database(output):
        return DATABASE
    suffix = output.suffix.lower()
    return "csv" if suffix == ".csv" else DATABASE if suffix in DATABASE_SUFFIXES else "jsonl"


def load_attacks(path: Path) -> list[Attack]:
    """The attacks at ``path``: an attacks JSONL file, or a database holding attacks."""
    if not path.is_file():
        raise InputError(f"{path}: no such attacks file; make one with extractor attacks")
    if not is_database(path):
        return read_attacks(path)
    connection = open_attacks_database(path)
    try:
        return read_attacks_database(connection, path)
    finally:
        connection.close()


def run_records(runs: Iterable[Path]) -> Iterator[Record]:
    """The records of every run (JSONL or database) in order; a file that is not a run stops with its line."""
    for path in runs:
        if not path.exists():
            raise InputError(f"{path}: no such run; check the path")
        yield from load_run(path).records.values()


def provenance_from(articles: Path | None) -> dict[str, Provenance]:
    """Publication dates, outlets and urls from the runs' input (for runs that predate provenance in records)."""
    if articles is None:
        return {}
    return {item.id: Provenance(item.published, item.source, item.url)
            for item in read_articles([str(articles)]) if isinstance(item, Article)}


def update_attacks(runs: list[Path], output: Path, fmt: str | None = None, articles: Path | None = None) -> Resolution:
    """Resolve ``runs`` into the attacks at ``output`` (created, or added to), and write them back."""
    chosen = attacks_format(output, fmt)
    if chosen not in FORMATS:
        raise ConfigError(f"--format {chosen}: attacks are written as {', '.join(FORMATS)}")
    if chosen != DATABASE and output.resolve() in {p.resolve() for p in runs}:
        raise ConfigError(f"{output}: is also named as a run; give the attacks another --output "
                          "(only a database holds a run and its attacks)")
    with attacks_lock(output):
        records = list(run_records(runs))  # every run is read before anything is written
        if chosen == DATABASE:
            return _into_database(output, records, provenance_from(articles))
        existing = read_attacks(output) if chosen == "jsonl" and output.exists() and output.stat().st_size else []
        resolution = resolve_attacks(records, existing, provenance_from(articles))
        write_attacks(output, resolution.attacks, chosen)
    return resolution


def _into_database(output: Path, records: list[Record], provenance: dict[str, Provenance]) -> Resolution:
    connection = open_attacks_database(output)
    try:
        resolution = resolve_attacks(records, read_attacks_database(connection, output), provenance)
        write_attacks_database(connection, output, resolution.attacks, resolution.changed)
    finally:
        connection.close()
    return resolution


@dataclass
class Reconciliation:
    """reconcile's comparisons, and the lines that say what of the reference was not compared."""

    comparisons: list[Comparison]
    notes: list[str]

    def summary(self) -> str:
        counts = Counter(c.status for c in self.comparisons)
        return ", ".join(f"{counts[s]} {s}" for s in ("agrees", "differs", "not_reported", "not_in_reference"))


def reconcile_files(attacks: Path, reference: Path, output: Path | None = None) -> Reconciliation:
    """The attacks at ``attacks`` against the reference table; written to ``output`` (CSV, or a database's
    reconciliation table) when given. Every row the reference could not compare is counted in a note."""
    as_database = output is not None and output_format(output, None) == DATABASE
    if output is not None and not as_database and output.resolve() in (attacks.resolve(), reference.resolve()):
        raise ConfigError(f"--output {output}: is an input of this command; give the comparisons another file")
    table = read_reference(reference)
    resolved = load_attacks(attacks)
    done = Reconciliation(reconcile(resolved, table), [f"warning: {line}" for line in table.problems()])
    outside = len(table.nights.keys() - {a.date for a in resolved})
    if outside:
        done.notes.append(f"note: {outside} nights of {reference} have no attack here (outside the attacks' dates)")
    if as_database and output is not None:
        write_comparisons(output, [c.values() for c in done.comparisons])
    elif output is not None:
        replace_file(output, comparisons_csv(done.comparisons))
    return done
