"""Writers for results: JSON lines (resumable), a JSON array, or CSV.

``--output FILE`` in JSONL is the durable form: one line per article, flushed
as soon as the article is done, so a killed run loses at most the line being
written (``resume`` cuts such a line away before a rerun appends).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import IO, Any

from extractor.record import Record
from extractor.schema import Figure, Weapon

FORMATS = ("jsonl", "json", "csv")
CSV_COLUMNS = [
    "id", "model", "prompt_version", "status", "event", "role", "attacker", "target_country",
    "date", "date_text", "killed", "killed_qualifier", "injured", "injured_qualifier",
    "weapons", "places", "damage", "summary", "errors",
]
# Cells that a spreadsheet would run as a formula are prefixed with a quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record_line(record: Record | dict[str, Any]) -> str:
    """One JSONL line; non-ASCII kept readable, control characters escaped by json."""
    data = record.to_json() if isinstance(record, Record) else record
    return json.dumps(data, ensure_ascii=False) + "\n"


def defang(value: str) -> str:
    """A CSV cell that a spreadsheet shows as text instead of running it."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _figure(figure: Figure | None) -> tuple[str, str]:
    return ("", "") if figure is None else (str(figure.value), figure.qualifier)


def _weapons(weapons: list[Weapon]) -> str:
    parts = []
    for w in weapons:
        name = w.category + (f"/{w.model}" if w.model else "")
        counts = [f"{label}={f.value}" for label, f in (("launched", w.launched), ("intercepted", w.intercepted))
                  if f is not None]
        parts.append(" ".join([name, *counts]))
    return "; ".join(parts)


def csv_rows(record: Record) -> list[dict[str, str]]:
    """One row per event; an article without events still gets one row."""
    base = {"id": record.id, "model": record.model or "", "prompt_version": record.prompt_version or "",
            "status": record.status, "errors": " | ".join(record.errors)}
    rows = []
    for index, event in enumerate(record.events, start=1):
        killed, killed_q = _figure(event.killed)
        injured, injured_q = _figure(event.injured)
        rows.append(base | {
            "event": str(index), "role": event.role, "attacker": event.attacker,
            "target_country": event.target_country, "date": event.date or "",
            "date_text": event.date_text or "", "killed": killed, "killed_qualifier": killed_q,
            "injured": injured, "injured_qualifier": injured_q, "weapons": _weapons(event.weapons),
            "places": "; ".join(p.name for p in event.places),
            "damage": "; ".join(event.damage), "summary": event.summary,
        })
    return rows or [base]


class RecordWriter:
    """Writes records in one of FORMATS as they come, so memory stays flat.

    JSONL is one line per record; CSV a header, then rows; JSON an array whose
    brackets are written at open and close. Each record reaches the stream in
    one ``write``, which a ``sink.FileSink`` makes all or nothing on disk.
    """

    def __init__(self, stream: IO[str] | Any, fmt: str) -> None:
        self.stream = stream
        self.fmt = fmt
        self.count = 0
        if fmt == "csv":
            self._put(_csv_text(lambda w: w.writeheader()))
        elif fmt == "json":
            self._put("[")

    def write(self, record: Record, text: str | None = None) -> None:
        """Write one record; ``text`` (the article's) is for writers that keep it, and these do not."""
        if self.fmt == "csv":
            self._put(_csv_text(lambda w: w.writerows({k: defang(v) for k, v in row.items()} for row in csv_rows(record))))
        elif self.fmt == "json":
            self._put(("," if self.count else "") + "\n  " + json.dumps(record.to_json(), ensure_ascii=False))
        else:
            self._put(record_line(record))
        self.count += 1

    def _put(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        if self.fmt == "json":
            self._put("\n]\n" if self.count else "]\n")


def _csv_text(fill: Any) -> str:
    """Rows rendered as CSV text, so that a record goes out in one write."""
    buffer = io.StringIO()
    fill(csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, restval=""))
    return buffer.getvalue()


def render(records: Iterable[Record], fmt: str) -> str:
    """All records in one of FORMATS, as text."""
    buffer = io.StringIO()
    writer = RecordWriter(buffer, fmt)
    for record in records:
        writer.write(record)
    writer.close()
    return buffer.getvalue()
