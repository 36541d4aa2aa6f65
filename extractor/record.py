"""The record of one article in a run: the one typed shape every writer and reader takes.

The pipeline makes a ``Record`` for each article; the JSONL, CSV and JSON
writers, the database, ``score``, ``view`` and ``attacks`` read it. It
carries the article's provenance (publication date, title, url, outlet), so
anything that works across articles (resolving reports into attacks) needs
the run alone, not its input files again. Runs written before the record
carried provenance still read: the fields are optional, and a run's records
are read with unknown keys ignored, so an older or newer writer's extra
fields do not make a run unreadable.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.errors import InputError
from extractor.schema import AttackEvent

Status = Literal["ok", "invalid", "error"]
#: The most of a model's last bad answer that a record keeps: enough to see what went wrong.
RAW_LIMIT = 2000


class Tokens(BaseModel):
    """Tokens an article cost, summed over every attempt."""

    model_config = ConfigDict(extra="ignore")

    prompt_tokens: int = 0
    completion_tokens: int = 0


class Record(BaseModel):
    """What became of one article: its events or why there are none, and where the article came from."""

    model_config = ConfigDict(extra="ignore")

    id: str
    model: str | None = None
    prompt_version: str | None = None
    status: Status
    events: list[AttackEvent]  # required: a file of other records must not read as a run without events
    errors: list[str] = Field(default_factory=list)
    usage: Tokens = Field(default_factory=Tokens)
    cached: bool = False
    seconds: float = 0.0
    mode: str | None = None
    encoding: str | None = None
    raw: str | None = Field(default=None, description="The model's last answer that failed validation, bounded.")
    chunks: int | None = Field(default=None, description="The parts a long article was read in; None: read whole.")
    dropped_figures: int = Field(default=0, description="Figures the model gave of a kind outside the four, dropped.")
    # The article's provenance, as its input gave it.
    published: dt.date | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = Field(default=None, description="The outlet that published the article.")

    def to_json(self) -> dict[str, Any]:
        """The record as one JSON object, keys in the order the writers have always used."""
        return self.model_dump(mode="json")

    def line(self) -> str:
        """One JSONL line; non-ASCII kept readable, control characters escaped by json."""
        return json.dumps(self.to_json(), ensure_ascii=False) + "\n"


def parse_record(data: Any, where: str) -> Record:
    """A record from its JSON object, or an InputError naming ``where`` and the first thing wrong."""
    if isinstance(data, dict) and isinstance(data.get("id"), int) and not isinstance(data.get("id"), bool):
        data = {**data, "id": str(data["id"])}
    try:
        return Record.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "the record"
        raise InputError(f"{where}: not an extractor record ({field}: {first['msg']}); "
                         "give a run written by extractor extract") from None


def bounded(raw: str | None) -> str | None:
    """A model's raw answer cut to ``RAW_LIMIT`` characters, marked where it was cut."""
    if raw is None or len(raw) <= RAW_LIMIT:
        return raw
    return raw[:RAW_LIMIT] + f"... [{len(raw) - RAW_LIMIT} more characters]"
