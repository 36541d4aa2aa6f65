"""A run as a SQLite database: one table per thing analysts count, written article by article.

People who use the output count things (Shahed launches per month, deaths per
oblast, how often an intercept claim is the Air Force's), which the nested
JSONL makes them flatten first. The database holds the same records,
normalised: articles, events, weapons, places, damage and figures (every
launched, intercepted, killed and injured count, with what it belongs to),
with keys, indexes on what people filter by and views for common questions.
``datasette run.db`` shows it as it is.

It keeps the JSONL's guarantees: each record is committed in its own
transaction as it arrives, so a killed run leaves every article whole or
absent (the journal rolls a torn one back); ``done_ids`` lets a rerun skip
finished articles; writing an article that is already there replaces its rows
(its old events, weapons, places and figures go by ``ON DELETE CASCADE``) in
the same transaction, which is what ``--retry-errors`` and a re-export need.

The schema lives in one place, ``database.sql`` beside this module, versioned by
``PRAGMA user_version``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from extractor.articles import Article
from extractor.errors import ConfigError, InputError, OutputError
from extractor.record import Record
from extractor.schema import AttackEvent

# Changing database.sql changes this number: a database of another version is refused, not misread.
SCHEMA_VERSION = 3
# How a database of an older version is brought up to this one, version by version: additions only.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE articles ADD COLUMN raw TEXT",),
    2: ("ALTER TABLE articles ADD COLUMN chunks INTEGER",
        "ALTER TABLE articles ADD COLUMN dropped_figures INTEGER NOT NULL DEFAULT 0"),
}
# Seconds a writer waits for another connection's write (a second run without the lock) before failing.
BUSY_SECONDS = 10.0

@cache
def schema() -> str:
    """The DDL of a run's database (``database.sql``, shipped in the package)."""
    return resources.files("extractor.output").joinpath("database.sql").read_text("utf-8")


@dataclass(frozen=True)
class ArticleInfo:
    """What an article's record does not carry: its title, url, source, date and text."""

    title: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None
    text: str | None = None

    def filled_from(self, record: Record) -> ArticleInfo:
        """This info with what the record knows of its article in the places it has nothing."""
        published = record.published.isoformat() if record.published else None
        return ArticleInfo(self.title or record.title, self.url or record.url, self.source or record.source,
                           self.published or published, self.text)

    @classmethod
    def of(cls, article: Article) -> ArticleInfo:
        published = article.published.isoformat() if article.published else None
        return cls(article.title, article.url, article.source, published, article.text)


def is_database(path: Path) -> bool:
    """Whether ``path`` is an SQLite file (by its header, whatever its suffix)."""
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def open_database(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection with foreign keys on; the schema made in a new (or empty) file when ``create``."""
    if not create and not path.is_file():
        raise InputError(f"{path}: no such database; check the path")
    if path.is_dir():
        raise ConfigError(f"--output {path} is a directory; give a file path")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        _check_or_make_schema(connection, path, create)
    except BaseException as exc:
        connection.close()
        if isinstance(exc, sqlite3.DatabaseError):
            raise ConfigError(f"{path} is not an extractor database ({exc}); give another file") from None
        raise
    return connection


def _check_or_make_schema(connection: sqlite3.Connection, path: Path, create: bool) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version in MIGRATIONS:
        if not create:
            return  # read as it is: an older database lacks only what later versions added
        _migrate(connection, version)
        version = SCHEMA_VERSION
    if version == SCHEMA_VERSION:
        return
    empty = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    if version == 0 and not empty:
        raise ConfigError(f"{path} is a SQLite database that extractor did not make; give another file")
    if version != 0:
        raise ConfigError(f"{path} holds database schema version {version}, not {SCHEMA_VERSION}; "
                          "export the run again into a new file")
    if not create:
        raise InputError(f"{path}: an empty database, with no extractor run in it")
    # WAL: readers (datasette, score) never wait for the writer, nor the writer for them.
    connection.execute("PRAGMA journal_mode = WAL")
    try:
        connection.executescript(f"BEGIN IMMEDIATE; {schema()}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
    except sqlite3.OperationalError:
        if connection.in_transaction:
            connection.rollback()
        # Another connection made the schema first: what matters is that it is there now.
        if connection.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            raise


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    """An older database brought to SCHEMA_VERSION in one transaction (a database being written to only)."""
    with transaction(connection):
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One all-or-nothing write; an ``executescript`` inside may begin and commit on its own."""
    if not connection.in_transaction:
        connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise
    if connection.in_transaction:
        connection.commit()


def done_ids(connection: sqlite3.Connection, retry_errors: bool = False) -> set[str]:
    """Ids that already have a record (all, or all but errors), for a rerun to skip."""
    query = "SELECT id FROM articles" + (" WHERE status != 'error'" if retry_errors else "")
    return {row[0] for row in connection.execute(query)}


class DatabaseWriter:
    """A RecordWriter's shape (``write``, ``close``) over a database: one transaction per record.

    The record carries its article's title, url, outlet and date; ``text``, the
    article's cleaned text, is what the database keeps beside them for the view.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection = open_database(path, create=True)
        self.count = 0

    def write(self, record: Record, text: str | None = None) -> None:
        parsed = record
        info = ArticleInfo(text=text) if text is not None else None
        try:
            with transaction(self.connection):
                replace_article(self.connection, parsed, info)
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write {self.path} ({exc}); {self.count} records of this run are safely "
                              "written; fix that (free space, permissions) and rerun with the same --output "
                              "to resume") from None
        self.count += 1

    def describe(self, article_id: str, info: ArticleInfo) -> bool:
        """Fill in the article columns of a record already written; False if there is none."""
        with transaction(self.connection):
            cursor = self.connection.execute(
                "UPDATE articles SET title = ?, url = ?, source = ?, published = ?, text = ? WHERE id = ?",
                (info.title, info.url, info.source, info.published, info.text, article_id))
        return cursor.rowcount > 0

    def close(self) -> None:
        self.connection.close()


def replace_article(connection: sqlite3.Connection, record: Record, info: ArticleInfo | None) -> None:
    """The article's rows, replacing any it had (call inside a transaction).

    Without ``info`` the article keeps the title, url, source, date and text it
    had: a new record replaces the old record, not what is known of the article;
    the record's own provenance fills in what it carries.
    """
    if info is None:
        known = connection.execute("SELECT title, url, source, published, text FROM articles WHERE id = ?",
                                   (record.id,)).fetchone()
        info = ArticleInfo(*known) if known else ArticleInfo()
    info = info.filled_from(record)
    connection.execute("DELETE FROM articles WHERE id = ?", (record.id,))
    connection.execute(
        "INSERT INTO articles (id, status, title, published, source, url, model, prompt_version, mode, encoding, "
        "errors, prompt_tokens, completion_tokens, cached, seconds, text, raw, chunks, dropped_figures) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record.id, record.status, info.title, info.published, info.source, info.url, record.model,
         record.prompt_version, record.mode, record.encoding, json.dumps(record.errors, ensure_ascii=False),
         record.usage.prompt_tokens, record.usage.completion_tokens, int(record.cached), record.seconds, info.text,
         record.raw, record.chunks, record.dropped_figures))
    for position, event in enumerate(record.events, start=1):
        _insert_event(connection, record.id, position, event)


def _insert_event(connection: sqlite3.Connection, article_id: str, position: int, event: AttackEvent) -> None:
    event_id = _insert(connection, "INSERT INTO events (article_id, position, role, attacker, target_country, date, "
                       "date_text, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (article_id, position, event.role, event.attacker, event.target_country, event.date,
                        event.date_text, event.summary))
    weapon_ids = [_insert(connection, "INSERT INTO weapons (event_id, position, category, model) VALUES (?, ?, ?, ?)",
                          (event_id, index, weapon.category, weapon.model))
                  for index, weapon in enumerate(event.weapons, start=1)]
    place_ids = [_insert(connection, "INSERT INTO places (event_id, position, name, kind, region) VALUES (?, ?, ?, ?, ?)",
                         (event_id, index, place.name, place.kind, place.region))
                 for index, place in enumerate(event.places, start=1)]
    _insert_figures(connection, event_id, event, weapon_ids, place_ids)
    connection.executemany("INSERT INTO damage (event_id, position, category) VALUES (?, ?, ?)",
                           [(event_id, index, category) for index, category in enumerate(event.damage, start=1)])


def _insert_figures(connection: sqlite3.Connection, event_id: int, event: AttackEvent, weapon_ids: list[int],
                    place_ids: list[int]) -> None:
    """Every figure of the event (the one walk, ``AttackEvent.figures``), each tied to its weapon's or place's row."""
    connection.executemany(
        "INSERT INTO figures (event_id, belongs_to, weapon_id, place_id, kind, value, qualifier, source, evidence) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(event_id, slot.owner, weapon_ids[slot.index] if slot.weapon is not None else None,
          place_ids[slot.index] if slot.place is not None else None, slot.kind, slot.figure.value,
          slot.figure.qualifier, slot.figure.source, slot.figure.evidence) for slot in event.figures()])


def _insert(connection: sqlite3.Connection, sql: str, values: tuple[Any, ...]) -> int:
    row_id = connection.execute(sql, values).lastrowid
    assert row_id is not None
    return row_id
