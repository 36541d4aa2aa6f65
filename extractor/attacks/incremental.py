"""The morning job: read runs, add their reports to the attacks already resolved, write them back.

An existing JSONL output is the state: its attacks keep their ids, new
reports join them or make new attacks, and only the attacks that changed
are resolved again. The output is replaced in one step under a lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from extractor.articles import Article, read_articles
from extractor.attacks.database import open_attacks_database, read_attacks_database, write_attacks_database
from extractor.attacks.model import Attack
from extractor.attacks.reports import Provenance, Resolution, resolve_attacks
from extractor.attacks.store import attacks_lock, read_attacks, write_attacks
from extractor.errors import ConfigError, InputError
from extractor.output.formats import DATABASE, DATABASE_SUFFIXES
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
