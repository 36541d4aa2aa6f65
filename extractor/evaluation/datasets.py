"""Reading an eval's files (articles, gold labels, predictions) into typed objects.

Gold and articles are hand-made eval data, read strictly: unknown keys and
repeated ids are errors. Predictions are the extractor's own output records,
possibly from an older or newer version, so unknown keys are ignored, and a
rerun appends to the file, so the last line for an id wins. A bad line is an
``InputError`` that names the file and the line. A run's SQLite database
(``extract --format sqlite``) is read wherever its JSONL is, told apart by
content, and gives the same records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from extractor.articles import json_object
from extractor.errors import InputError
from extractor.output.sqlite import is_database
from extractor.output.stored import load_run
from extractor.record import Record as RunRecord
from extractor.schema import AttackEvent, NonEmpty

OK = "ok"
Record = TypeVar("Record", bound=BaseModel)


class ArticleRecord(BaseModel):
    """One line of articles.jsonl: the text the gold was labelled from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NonEmpty
    text: str
    published: str | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None


class GoldRecord(BaseModel):
    """One line of a gold file: an article id and its hand-labelled events."""

    model_config = ConfigDict(extra="forbid")

    id: NonEmpty
    events: list[AttackEvent]


class Prediction(BaseModel):
    """One article's output record, or a bare ``{"id", "events"}`` line (status ok).

    Only an ``ok`` record's events are read and scored; a failed record
    (``invalid``, ``error``, ``refused``, ...) counts as an empty prediction,
    so whatever events it carries are dropped unread.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: NonEmpty
    status: str = OK
    events: list[AttackEvent] = Field(default_factory=list)
    model: str | None = None
    prompt_version: str | None = None
    errors: list[Any] = Field(default_factory=list)
    usage: dict[str, Any] | None = None
    cached: bool | None = None
    seconds: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _events_of_ok_records_only(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if data.get("status", OK) != OK:
            return {key: value for key, value in data.items() if key != "events"}
        if data.get("events") is None:
            raise ValueError('a record with status "ok" (or no status) needs an "events" list')
        return data

    @property
    def valid(self) -> bool:
        """Whether the output passed validation (the validity rate counts these)."""
        return self.status == OK


Unique = TypeVar("Unique", ArticleRecord, GoldRecord)


def load_articles(path: str | Path) -> dict[str, ArticleRecord]:
    """Articles by id; a repeated id is an error."""
    return _load_unique(Path(path), ArticleRecord)


def load_gold(path: str | Path) -> dict[str, list[AttackEvent]]:
    """Gold events by article id, schema-validated; a repeated id is an error."""
    return {key: record.events for key, record in _load_unique(Path(path), GoldRecord).items()}


def load_predictions(path: str | Path) -> dict[str, Prediction]:
    """Predictions by article id, from a JSONL run or its database; for a repeated id the last line wins."""
    path = Path(path)
    if is_database(path):
        return {key: _prediction(record, path) for key, record in load_run(path).records.items()}
    return {record.id: record for _, record in _parse_lines(path, Prediction)}


def _prediction(record: RunRecord, path: Path) -> Prediction:
    try:
        return Prediction.model_validate(record.to_json())
    except ValidationError as error:
        raise InputError(f"{path}: article {record.id!r}: {_describe(error)}") from None


def _load_unique(path: Path, model: type[Unique]) -> dict[str, Unique]:
    records: dict[str, Unique] = {}
    first_line: dict[str, int] = {}
    for line_number, record in _parse_lines(path, model):
        if record.id in records:
            raise InputError(
                f"{path}:{line_number}: id {record.id!r} repeats line {first_line[record.id]}; "
                "each article must appear once"
            )
        records[record.id] = record
        first_line[record.id] = line_number
    return records


def _parse_lines(path: Path, model: type[Record]) -> Iterator[tuple[int, Record]]:
    for line_number, data in _json_lines(path):
        try:
            yield line_number, model.model_validate(data)
        except ValidationError as error:
            raise InputError(f"{path}:{line_number}: {_describe(error)}") from None


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        # utf-8-sig: a byte-order mark at the start of the file is not part of line 1.
        # split("\n"), not splitlines(): JSON may hold a raw U+2028 inside a string.
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        yield line_number, json_object(line, f"{path}:{line_number}")


def _describe(error: ValidationError, limit: int = 3) -> str:
    problems = [
        f"{'.'.join(str(part) for part in detail['loc']) or 'record'}: {detail['msg']}"
        for detail in error.errors()[:limit]
    ]
    more = error.error_count() - limit
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")
