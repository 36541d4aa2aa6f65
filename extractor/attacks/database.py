"""Attacks in a SQLite database, beside a run's tables: one database holds a run and its attacks.

The tables (``attacks.sql``) are made in any extractor database on first
use. Each attack is written whole in its own rows, and an incremental run
replaces the rows of the attacks that changed and deletes those that are
gone, in one transaction: a run killed mid-write leaves the attacks as they
were (docs/reliability.md, item 32). ``attacks.record`` keeps each attack
as JSON, the state a later run reads back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path

from extractor.attacks.model import Attack, Resolved
from extractor.errors import InputError, OutputError
from extractor.output.sqlite import open_database, transaction


@cache
def attacks_schema() -> str:
    return resources.files("extractor.attacks").joinpath("attacks.sql").read_text("utf-8")


def open_attacks_database(path: Path) -> sqlite3.Connection:
    """An extractor database (made if new) with the attack tables in it."""
    connection = open_database(path, create=True)
    with transaction(connection):
        connection.executescript(attacks_schema())
    return connection


def read_attacks_database(connection: sqlite3.Connection, path: Path) -> list[Attack]:
    """The attacks stored in a database, as they were written."""
    attacks = []
    for attack_id, record in connection.execute("SELECT id, record FROM attacks ORDER BY rowid"):
        try:
            attacks.append(Attack.model_validate_json(record))
        except ValueError:
            raise InputError(f"{path}: attack {attack_id!r} does not read back; write the attacks into a new "
                             "file") from None
    return attacks


def write_attacks_database(connection: sqlite3.Connection, path: Path, attacks: Iterable[Attack],
                           changed: set[str]) -> None:
    """The changed attacks' rows replaced, the vanished ones deleted, all in one transaction."""
    attacks = list(attacks)
    keep = {a.attack_id for a in attacks}
    try:
        with transaction(connection):
            stored = {row[0] for row in connection.execute("SELECT id FROM attacks")}
            rewritten = [a for a in attacks if a.attack_id in changed or a.attack_id not in stored]
            # Every old row goes before any new one: a report moved between attacks is in both otherwise.
            for gone in (stored - keep) | {a.attack_id for a in rewritten}:
                connection.execute("DELETE FROM attacks WHERE id = ?", (gone,))
            for attack in rewritten:
                insert_attack(connection, attack)
    except sqlite3.Error as exc:
        raise OutputError(f"cannot write {path} ({exc}); the attacks in it are as they were before this run; "
                          "fix that (free space, permissions) and rerun") from None


def insert_attack(connection: sqlite3.Connection, attack: Attack) -> None:
    """One attack's rows (call inside a transaction)."""
    connection.execute(
        "INSERT INTO attacks (id, role, attacker, target_country, date, reports, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (attack.attack_id, attack.role, attack.attacker, attack.target_country,
         attack.date.isoformat() if attack.date else None, len(attack.reports), attack.model_dump_json()))
    connection.executemany(
        "INSERT INTO attack_reports (attack_id, position, article_id, event, published, role, joined, score, outlet, "
        "url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(attack.attack_id, n, r.article_id, r.event, r.published.isoformat() if r.published else None, r.role,
          r.joined, r.score, r.outlet, r.url) for n, r in enumerate(attack.reports, start=1)])
    _insert_figure(connection, attack.attack_id, "attack", None, "killed", attack.killed)
    _insert_figure(connection, attack.attack_id, "attack", None, "injured", attack.injured)
    for n, weapon in enumerate(attack.weapons, start=1):
        weapon_id = _row_id(connection, "INSERT INTO attack_weapons (attack_id, position, category, model) "
                            "VALUES (?, ?, ?, ?)", (attack.attack_id, n, weapon.category, weapon.model))
        _insert_figure(connection, attack.attack_id, "weapon", weapon_id, "launched", weapon.launched)
        _insert_figure(connection, attack.attack_id, "weapon", weapon_id, "intercepted", weapon.intercepted)
    for n, place in enumerate(attack.places, start=1):
        place_id = _row_id(connection, "INSERT INTO attack_places (attack_id, position, name, kind, region) "
                           "VALUES (?, ?, ?, ?, ?)", (attack.attack_id, n, place.name, place.kind, place.region))
        _insert_figure(connection, attack.attack_id, "place", place_id, "killed", place.killed)
        _insert_figure(connection, attack.attack_id, "place", place_id, "injured", place.injured)
    connection.executemany("INSERT INTO attack_damage (attack_id, position, category) VALUES (?, ?, ?)",
                           [(attack.attack_id, n, c) for n, c in enumerate(attack.damage, start=1)])


def _insert_figure(connection: sqlite3.Connection, attack_id: str, belongs_to: str, owner: int | None, kind: str,
                   figure: Resolved | None) -> None:
    if figure is None:
        return
    weapon_id = owner if belongs_to == "weapon" else None
    place_id = owner if belongs_to == "place" else None
    figure_id = _row_id(
        connection, "INSERT INTO attack_figures (attack_id, belongs_to, weapon_id, place_id, kind, value, qualifier, "
        "source, evidence, article_id, reported, disputed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (attack_id, belongs_to, weapon_id, place_id, kind, figure.value, figure.qualifier, figure.source,
         figure.evidence, figure.article_id, len(figure.reported), int(figure.disputed)))
    chosen = next(n for n, r in enumerate(figure.reported) if r.article_id == figure.article_id
                  and r.value == figure.value)
    connection.executemany(
        "INSERT INTO attack_reported (figure_id, position, value, qualifier, source, article_id, evidence, chosen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(figure_id, n + 1, r.value, r.qualifier, r.source, r.article_id, r.evidence, int(n == chosen))
         for n, r in enumerate(figure.reported)])


def _row_id(connection: sqlite3.Connection, sql: str, values: tuple[object, ...]) -> int:
    row_id = connection.execute(sql, values).lastrowid
    assert row_id is not None
    return row_id


def write_comparisons(path: Path, rows: Iterable[dict[str, str | int | None]]) -> None:
    """reconcile's comparisons into the database's ``reconciliation`` table, replacing the last ones."""
    connection = open_attacks_database(path)
    try:
        with transaction(connection):
            connection.execute("DELETE FROM reconciliation")
            connection.executemany(
                "INSERT INTO reconciliation VALUES (:attack_id, :date, :category, :model, :kind, :reported, "
                ":qualifier, :reference, :status, :source, :quote, :article_id, :reference_weapons)", list(rows))
    finally:
        connection.close()
