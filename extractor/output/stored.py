"""A finished run read back, from its JSONL or its database; and a JSONL run turned into a database.

``score``, ``evals file:``, ``export`` and ``view`` all read stored runs; this
is the one reading of both forms, so a database gives exactly the records
its JSONL would: the same keys, the events rebuilt from the tables in the
order they were written. For an id with several records (a JSONL rerun
appends) the last one wins, as in the database, where it replaced the others.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.articles import Article, decoded_lines, json_object, read_articles
from extractor.errors import InputError
from extractor.output.formats import DATABASE
from extractor.output.records import render
from extractor.output.sqlite import ArticleInfo, DatabaseWriter, is_database, open_database
from extractor.record import Record, parse_record

Rows = dict[int, list[sqlite3.Row]]


@dataclass
class StoredRun:
    """A run's records by article id, and what is known of each article beyond its record."""

    records: dict[str, Record]
    articles: dict[str, ArticleInfo] = field(default_factory=dict)


def load_run(path: Path) -> StoredRun:
    """The run at ``path``, a JSONL file or a database (told apart by content, not suffix)."""
    if is_database(path):
        return load_database(path)
    return StoredRun({record.id: record for record in jsonl_records(path)})


def jsonl_records(path: Path) -> Iterator[Record]:
    """The records of a JSONL run in file order; a line that is not a record is an error naming it."""
    if not path.is_file():
        raise InputError(f"{path}: no such run file; check the path")
    for number, line in enumerate(decoded_lines(path), start=1):
        if isinstance(line, InputError):
            raise line
        if not line.strip():
            continue
        yield parse_record(json_object(line, f"{path}:{number}"), f"{path}:{number}")


def load_database(path: Path) -> StoredRun:
    """Every article's record, rebuilt from the tables, and its article info."""
    with closing(open_database(path, create=False)) as connection:
        connection.row_factory = sqlite3.Row
        tables = {name: _rows(connection, name, key) for name, key in
                  (("weapons", "event_id"), ("places", "event_id"), ("damage", "event_id"))}
        figures = _figures(connection)
        events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in connection.execute("SELECT * FROM events ORDER BY article_id, position"):
            events[row["article_id"]].append(_event(row, tables, figures))
        run = StoredRun({})
        for row in connection.execute("SELECT * FROM articles ORDER BY rowid"):
            run.records[row["id"]] = _record(row, events.get(row["id"], []))
            run.articles[row["id"]] = ArticleInfo(row["title"], row["url"], row["source"], row["published"],
                                                  row["text"])
    return run


def _rows(connection: sqlite3.Connection, table: str, key: str) -> Rows:
    grouped: Rows = defaultdict(list)
    for row in connection.execute(f"SELECT * FROM {table} ORDER BY {key}, position"):  # our own names, not data
        grouped[row[key]].append(row)
    return grouped


def _figures(connection: sqlite3.Connection) -> dict[tuple[str, int, str], dict[str, Any]]:
    """Figures by (what they belong to, its id, kind)."""
    found: dict[tuple[str, int, str], dict[str, Any]] = {}
    for row in connection.execute("SELECT * FROM figures"):
        owner = {"event": row["event_id"], "weapon": row["weapon_id"], "place": row["place_id"]}[row["belongs_to"]]
        found[(row["belongs_to"], owner, row["kind"])] = {
            "value": row["value"], "qualifier": row["qualifier"], "source": row["source"], "evidence": row["evidence"]}
    return found


def _event(row: sqlite3.Row, tables: dict[str, Rows],
           figures: dict[tuple[str, int, str], dict[str, Any]]) -> dict[str, Any]:
    """One event as ``AttackEvent.model_dump(mode="json")`` gives it, keys in the same order."""
    event_id = row["id"]
    return {
        "role": row["role"], "attacker": row["attacker"], "target_country": row["target_country"],
        "date": row["date"], "date_text": row["date_text"],
        "weapons": [{"category": w["category"], "model": w["model"],
                     "launched": figures.get(("weapon", w["id"], "launched")),
                     "intercepted": figures.get(("weapon", w["id"], "intercepted"))}
                    for w in tables["weapons"].get(event_id, [])],
        "killed": figures.get(("event", event_id, "killed")),
        "injured": figures.get(("event", event_id, "injured")),
        "places": [{"name": p["name"], "kind": p["kind"], "region": p["region"],
                    "killed": figures.get(("place", p["id"], "killed")),
                    "injured": figures.get(("place", p["id"], "injured"))}
                   for p in tables["places"].get(event_id, [])],
        "damage": [d["category"] for d in tables["damage"].get(event_id, [])],
        "summary": row["summary"],
    }


def _record(row: sqlite3.Row, events: list[dict[str, Any]]) -> Record:
    """An article's row as the record ``ExtractionResult.to_record`` wrote."""
    later = {name: row[name] for name in _LATER_COLUMNS if name in row.keys()}  # noqa: SIM118 (a Row's in looks at values)
    return Record.model_validate({
        "id": row["id"], "model": row["model"], "prompt_version": row["prompt_version"], "status": row["status"],
        "events": events, "errors": json.loads(row["errors"]),
        "usage": {"prompt_tokens": row["prompt_tokens"], "completion_tokens": row["completion_tokens"]},
        "cached": bool(row["cached"]), "seconds": row["seconds"] or 0.0, "mode": row["mode"],
        "encoding": row["encoding"], "published": row["published"], "title": row["title"], "url": row["url"],
        "source": row["source"], **later,
    })


#: Columns a database of an older schema version lacks (read as the record's defaults).
_LATER_COLUMNS = ("raw", "chunks", "dropped_figures")


def export_run(run: Path, output: Path, fmt: str = DATABASE, articles: Path | None = None) -> int:
    """Write the run at ``run`` (JSONL or database) to ``output`` in ``fmt``; returns how many records.

    Into a database, records are written in the run's order, each replacing
    the rows its article had, so an id's last record wins and exporting
    twice changes nothing. ``articles`` (the run's input) fills in titles,
    urls, sources, dates and texts, read exactly as ``extract`` read them.
    Other formats replace ``output``.
    """
    if fmt != DATABASE:
        records = list(load_run(run).records.values())
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render(records, fmt), encoding="utf-8", newline="")
        return len(records)
    stored = load_database(run) if is_database(run) else None
    writer = DatabaseWriter(output)
    try:
        for record in stored.records.values() if stored else jsonl_records(run):
            writer.write(record)
        for key, info in stored.articles.items() if stored else ():
            writer.describe(key, info)
        if articles is not None:
            describe_articles(writer, articles)
    finally:
        writer.close()
    return writer.count


def describe_articles(writer: DatabaseWriter, articles: Path) -> int:
    """Fill in the article columns from an input file; returns how many records it described."""
    described = 0
    for item in read_articles([str(articles)]):
        if isinstance(item, Article):
            described += writer.describe(item.id, ArticleInfo.of(item))
    return described
