"""Which output format a run writes: the one asked for, else what the output's suffix says.

Kept apart from the writers so that the CLI can decide without importing
them (``extractor --help`` stays cheap).
"""

from __future__ import annotations

from pathlib import Path

DATABASE = "sqlite"
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
DEFAULT = "jsonl"
BY_SUFFIX = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", **dict.fromkeys(DATABASE_SUFFIXES, DATABASE)}


def output_format(output: Path | None, asked: str | None) -> str:
    """The format asked for; else the one the output's suffix names (.csv, .json, .jsonl, .db,
    .sqlite, .sqlite3), so that ``-o events.csv`` is a CSV file; else jsonl."""
    if asked:
        return asked
    return BY_SUFFIX.get(output.suffix.lower(), DEFAULT) if output is not None else DEFAULT
