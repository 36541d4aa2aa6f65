"""Which output format a run writes: the one asked for, else what the output's suffix says.

Kept apart from the writers so that the CLI can decide without importing
them (``extractor --help`` stays cheap).
"""

from __future__ import annotations

from pathlib import Path

DATABASE = "sqlite"
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
DEFAULT = "jsonl"


def output_format(output: Path | None, asked: str | None) -> str:
    """The format asked for; else sqlite for a database suffix (.db, .sqlite, .sqlite3); else jsonl."""
    if asked:
        return asked
    return DATABASE if output is not None and output.suffix.lower() in DATABASE_SUFFIXES else DEFAULT
