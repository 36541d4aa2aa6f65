"""The morning job: read runs, add their reports to the attacks already resolved, write them back.

An existing JSONL output is the state: its attacks keep their ids, new
reports join them or make new attacks, and only the attacks that changed
are resolved again. The output is replaced in one step under a lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from extractor.articles import Article, read_articles
from extractor.attacks.reports import Provenance, Resolution, resolve_attacks
from extractor.attacks.store import attacks_lock, read_attacks, write_attacks
from extractor.errors import ConfigError, InputError
from extractor.output.runs import load_run
from extractor.record import Record

FORMATS = ("jsonl", "csv")


def attacks_format(output: Path, fmt: str | None) -> str:
    """The format the user asked for, else what the output's suffix says, else JSONL."""
    if fmt:
        return fmt
    return "csv" if output.suffix.lower() == ".csv" else "jsonl"


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
        raise ConfigError(f"--format {chosen}: attacks are written as {' or '.join(FORMATS)}")
    own = {p.resolve() for p in runs}
    if output.resolve() in own:
        raise ConfigError(f"{output}: is also named as a run; give the attacks another --output")
    with attacks_lock(output):
        existing = read_attacks(output) if chosen == "jsonl" and output.exists() and output.stat().st_size else []
        records = list(run_records(runs))  # every run is read before anything is written
        resolution = resolve_attacks(records, existing, provenance_from(articles))
        write_attacks(output, resolution.attacks, chosen)
    return resolution
