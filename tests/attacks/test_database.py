"""Attacks in a run's database: the same attacks as JSONL, the README's queries over attacks, ids kept."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import DATASETS, REPO, column_table

from extractor.attacks import Attack
from extractor.cli import main

ARTICLES = DATASETS / "attacks" / "articles.jsonl"


def cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's commands: a rules run of the attacks set as a database, and its attacks in it."""
    folder = tmp_path_factory.mktemp("news")
    cli("extract", str(ARTICLES), "-m", "rules", "-o", str(folder / "news.db"))
    cli("attacks", str(folder / "news.db"), "-o", str(folder / "news.db"))
    return folder / "news.db"


def test_the_readmes_queries_over_attacks_give_the_output_it_shows(news: Path) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme[readme.index("## Attacks: one attack"):readme.index("### Held against the official count")]
    examples = re.findall(r"```sql\n(.*?)```\n\n```\n(.*?)```", section, re.S)
    assert len(examples) == 3
    connection = sqlite3.connect(news)
    for sql, shown in examples:
        rows = [tuple(None if v is None else str(v) for v in row) for row in connection.execute(sql)]
        assert rows == column_table(shown), sql


def test_per_area_over_attacks_counts_each_attack_once_where_events_count_each_report(news: Path) -> None:
    connection = sqlite3.connect(news)
    by_attack = dict(connection.execute("SELECT name, count(DISTINCT attack_id) FROM attack_place_rows "
                                        "WHERE name = 'Poltava' GROUP BY name"))
    by_event = dict(connection.execute("SELECT name, count(DISTINCT event_id) FROM place_rows "
                                       "WHERE name = 'Poltava' GROUP BY name"))
    assert by_attack == {"Poltava": 1} and by_event["Poltava"] >= 3
    killed = connection.execute("SELECT sum(killed) FROM attack_place_rows WHERE name = 'Poltava'").fetchone()[0]
    reported = [v for (v,) in connection.execute("SELECT value FROM figure_rows WHERE place = 'Poltava' AND "
                                                 "kind = 'killed'")]
    assert killed == max(reported) and killed < sum(reported)


def test_the_database_holds_the_same_attacks_as_jsonl_and_a_second_run_changes_nothing(
        news: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "attacks.jsonl"
    cli("attacks", str(news), "-o", str(jsonl))
    from_jsonl = [Attack.model_validate_json(line) for line in jsonl.read_text("utf-8").splitlines()]
    connection = sqlite3.connect(news)
    from_db = [Attack.model_validate_json(r) for (r,) in connection.execute("SELECT record FROM attacks ORDER BY rowid")]
    assert sorted(a.attack_id for a in from_db) == sorted(a.attack_id for a in from_jsonl)
    assert {a.attack_id: a for a in from_db} == {a.attack_id: a for a in from_jsonl}
    before = connection.execute("SELECT count(*), group_concat(id) FROM attacks").fetchone()
    figures = connection.execute("SELECT count(*) FROM attack_figures").fetchone()
    connection.close()
    cli("attacks", str(news), "-o", str(news))
    connection = sqlite3.connect(news)
    assert connection.execute("SELECT count(*), group_concat(id) FROM attacks").fetchone() == before
    assert connection.execute("SELECT count(*) FROM attack_figures").fetchone() == figures


def test_a_mornings_run_into_the_database_keeps_every_attack_id(tmp_path: Path) -> None:
    articles = [json.loads(line) for line in ARTICLES.read_text("utf-8").splitlines()]
    first, later = tmp_path / "first.jsonl", tmp_path / "later.jsonl"
    first.write_text("".join(json.dumps(a) + "\n" for a in articles[:20]), encoding="utf-8")
    later.write_text("".join(json.dumps(a) + "\n" for a in articles[20:]), encoding="utf-8")
    database = tmp_path / "news.db"
    cli("extract", str(first), "-m", "rules", "-o", str(database))
    cli("attacks", str(database), "-o", str(database))
    connection = sqlite3.connect(database)
    ids = {i for (i,) in connection.execute("SELECT id FROM attacks")}
    connection.close()
    cli("extract", str(later), "-m", "rules", "-o", str(database))
    cli("attacks", str(database), "-o", str(database))
    connection = sqlite3.connect(database)
    after = {i for (i,) in connection.execute("SELECT id FROM attacks")}
    reports = connection.execute("SELECT count(*) FROM attack_reports").fetchone()[0]
    events = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    assert ids < after and reports == events


def test_a_report_that_moves_to_another_attack_is_written_in_one_transaction(tmp_path: Path) -> None:
    from helpers import event

    from extractor.attacks.database import open_attacks_database, read_attacks_database, write_attacks_database
    from extractor.attacks.reports import resolve_attacks
    from extractor.record import Record

    def record(article_id: str, date: str) -> Record:
        return Record.model_validate({"id": article_id, "status": "ok", "events": [event(date=date)],
                                      "published": date})

    database = tmp_path / "attacks.db"
    connection = open_attacks_database(database)
    first = resolve_attacks([record("x", "2024-11-10"), record("y", "2024-11-19"), record("a", "2024-11-19")])
    write_attacks_database(connection, database, first.attacks, first.changed)
    moved = resolve_attacks([record("a", "2024-11-10")], read_attacks_database(connection, database))
    write_attacks_database(connection, database, moved.attacks, moved.changed)
    rows = dict(connection.execute("SELECT article_id, attack_id FROM attack_reports"))
    assert rows["a"] == rows["x"] != rows["y"]


def test_an_old_run_without_provenance_takes_it_from_articles(tmp_path: Path) -> None:
    run = tmp_path / "run.jsonl"
    cli("extract", str(ARTICLES), "-m", "rules", "-o", str(run))
    old = tmp_path / "old.jsonl"
    lines = [json.loads(line) for line in run.read_text("utf-8").splitlines()]
    for line in lines:  # as a run written before records carried their article's provenance
        for key in ("published", "title", "url", "source", "raw"):
            line.pop(key)
    old.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    bare, given = tmp_path / "bare.jsonl", tmp_path / "given.jsonl"
    cli("attacks", str(old), "-o", str(bare))
    cli("attacks", str(old), "-o", str(given), "--articles", str(ARTICLES))
    fresh, informed = ([Attack.model_validate_json(x) for x in p.read_text("utf-8").splitlines()] for p in (bare, given))
    assert all(r.published is None and r.outlet is None for a in fresh for r in a.reports)
    articles = {a["id"]: a for a in map(json.loads, ARTICLES.read_text("utf-8").splitlines())}
    reports = [r for a in informed for r in a.reports]
    assert all(r.outlet == articles[r.article_id]["source"] for r in reports)
    assert all((r.published.isoformat() if r.published else None) == articles[r.article_id].get("published")
               for r in reports)


def test_reconcile_refuses_to_write_over_its_own_inputs(news: Path, tmp_path: Path) -> None:
    attacks = tmp_path / "attacks.jsonl"
    cli("attacks", str(news), "-o", str(attacks))
    before = attacks.read_bytes()
    reference = DATASETS / "attacks" / "reference.csv"
    result = CliRunner().invoke(main, ["reconcile", str(attacks), "--reference", str(reference), "-o", str(attacks)])
    assert result.exit_code == 2 and "is an input of this command" in result.output
    assert attacks.read_bytes() == before
