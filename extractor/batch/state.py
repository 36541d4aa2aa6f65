"""What a batch run remembers on disk, so status and collect work from any shell, any day.

A state directory holds:

- ``state.json``: the settings the requests were made with and, per batch,
  its request file, input file id, batch id and custom_ids. Written
  atomically (temp file, then ``os.replace``) after every change, so a
  killed ``submit`` leaves a state that names every batch it created.
- ``articles.jsonl``: every submitted or cache-answered article with its
  ``custom_id`` and cache key. Validation needs the article text, and the
  records are ``extract`` input records too (``extractor extract
  DIR/articles.jsonl`` works).
- ``requests-NNN.jsonl``: the request files as uploaded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from extractor.articles import Article, record_to_article
from extractor.errors import ConfigError

# 2: rejected articles keep their reason code apart from the message.
STATE_FORMAT = 2
STATE_FILE = "state.json"
ARTICLES_FILE = "articles.jsonl"


@dataclass
class BatchEntry:
    """One batch: its request file and, once created, its file and batch ids."""

    file: str
    custom_ids: list[str]
    input_file_id: str | None = None
    batch_id: str | None = None


@dataclass
class Rejected:
    """An article submit could not send, and why: it gets its error record at collect."""

    id: str
    reason: str
    message: str


@dataclass
class BatchState:
    """Everything status and collect need besides the article texts."""

    settings: dict[str, Any]
    batches: list[BatchEntry] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    format: int = STATE_FORMAT

    @property
    def submitted(self) -> int:
        return sum(len(b.custom_ids) for b in self.batches)

    @property
    def created(self) -> int:
        return sum(1 for b in self.batches if b.batch_id is not None)


@dataclass(frozen=True)
class StoredArticle:
    """An article as the state keeps it: the article, its custom_id, its cache key."""

    article: Article
    custom_id: str
    cache_key: str


def state_path(directory: Path) -> Path:
    return directory / STATE_FILE


def save_state(directory: Path, state: BatchState) -> None:
    """Write state.json atomically: a reader sees the old state or the new, never half."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(asdict(state), indent=2, ensure_ascii=False) + "\n"
    fd, temp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, state_path(directory))
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_state(directory: Path) -> BatchState:
    """The state in ``directory``, or a ConfigError saying how to make one."""
    path = state_path(directory)
    if not path.is_file():
        raise ConfigError(
            f"no batch state in {directory} (no {STATE_FILE}); run 'extractor batch submit ... --state {directory}' first"
        )
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") != STATE_FORMAT:
            raise ConfigError(f"{path}: state format {data.get('format')!r} is not {STATE_FORMAT}; use the extractor that wrote it")
        batches = [BatchEntry(**b) for b in data.pop("batches")]
        rejected = [Rejected(**r) for r in data.pop("rejected", [])]
        return BatchState(batches=batches, rejected=rejected, **data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(f"{path} is not a batch state file ({exc})") from None


def article_record(stored: StoredArticle) -> dict[str, Any]:
    """The articles.jsonl line: an ``extract`` input record plus custom_id and cache key."""
    a = stored.article
    return {
        "id": a.id, "text": a.text, "published": a.published.isoformat() if a.published else None,
        "title": a.title, "url": a.url, "source": a.source,
        "custom_id": stored.custom_id, "cache_key": stored.cache_key,
    }


def read_stored_articles(directory: Path) -> Iterator[StoredArticle]:
    """The articles of a state directory, as submit wrote them."""
    path = directory / ARTICLES_FILE
    if not path.is_file():
        raise ConfigError(f"{path} is missing; the batch state in {directory} is incomplete")
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                article = record_to_article(record, str(path), None)
                yield StoredArticle(article, record["custom_id"], record["cache_key"])
