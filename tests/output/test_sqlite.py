"""The run as a SQLite database: the same figures as the JSONL, resumable, replaceable, whole after a kill."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakeserver import CHAT_PATH, FakeLLMServer, answer
from helpers import ARTICLE, DATASETS, REPO, column_table, event, extraction, figure, read_jsonl, seed_articles

from extractor.cli import main
from extractor.output.sqlite import SCHEMA_VERSION, DatabaseWriter, is_database, open_database
from extractor.output.stored import load_run
from extractor.record import Record

SEEDS = DATASETS / "seeds" / "articles.jsonl"
FIGURES_BY_ARTICLE = """
SELECT f.belongs_to,
       CASE f.belongs_to WHEN 'weapon' THEN w.category || '/' || ifnull(w.model, 'None') WHEN 'place' THEN p.name END,
       f.kind, f.value, f.qualifier, f.source, f.evidence
FROM figures f JOIN events e ON e.id = f.event_id
LEFT JOIN weapons w ON w.id = f.weapon_id LEFT JOIN places p ON p.id = f.place_id
WHERE e.article_id = ?
"""


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def jsonl_figures(record: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    """Every figure of a JSONL record with what it belongs to, as the SQL above names it."""
    found: Counter[tuple[Any, ...]] = Counter()

    def add(belongs_to: str, owner: str | None, kind: str, f: dict[str, Any] | None) -> None:
        if f is not None:
            found[(belongs_to, owner, kind, f["value"], f["qualifier"], f["source"], f["evidence"])] += 1

    for e in record["events"]:
        for kind in ("killed", "injured"):
            add("event", None, kind, e[kind])
        for w in e["weapons"]:
            for kind in ("launched", "intercepted"):
                add("weapon", f"{w['category']}/{w['model']}", kind, w[kind])
        for p in e["places"]:
            for kind in ("killed", "injured"):
                add("place", p["name"], kind, p[kind])
    return found


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def consistent(path: Path) -> sqlite3.Connection:
    """A read-only connection to a database that passes SQLite's integrity and foreign-key checks."""
    connection = connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    return connection


def without_seconds(records: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Records (typed or as JSON) as JSON, without the seconds that differ between two runs."""
    plain = {key: r.to_json() if isinstance(r, Record) else r for key, r in records.items()}
    return {key: {k: v for k, v in record.items() if k != "seconds"} for key, record in plain.items()}


@pytest.fixture(scope="module")
def seed_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One rules run of the seed articles written as JSONL and one written as a database."""
    folder = tmp_path_factory.mktemp("seeds")
    for name in ("run.jsonl", "run.db"):
        result = invoke("extract", str(SEEDS), "-m", "rules", "-o", str(folder / name))
        assert result.exit_code == 0, result.output
    return folder / "run.jsonl", folder / "run.db"


def test_the_databases_figures_counted_by_sql_equal_the_jsonls_article_by_article(seed_runs: tuple[Path, Path]) -> None:
    jsonl, database = seed_runs
    records = {r["id"]: r for r in read_jsonl(jsonl)}
    connection = consistent(database)
    assert {row[0] for row in connection.execute("SELECT id FROM articles")} == set(records) != set()
    total = 0
    for article_id, record in records.items():
        expected = jsonl_figures(record)
        assert Counter(connection.execute(FIGURES_BY_ARTICLE, (article_id,)).fetchall()) == expected, article_id
        counted = connection.execute("SELECT count(*) FROM figures JOIN events ON events.id = figures.event_id "
                                     "WHERE article_id = ?", (article_id,)).fetchone()[0]
        assert counted == sum(expected.values())
        assert connection.execute("SELECT count(*) FROM events WHERE article_id = ?",
                                  (article_id,)).fetchone()[0] == len(record["events"])
        total += counted
    assert total == connection.execute("SELECT count(*) FROM figures").fetchone()[0] > 20


def test_the_database_reads_back_as_the_same_records_and_keeps_each_articles_title_date_and_text(
    seed_runs: tuple[Path, Path],
) -> None:
    jsonl, database = seed_runs
    stored = load_run(database)
    assert without_seconds(stored.records) == without_seconds({r["id"]: r for r in read_jsonl(jsonl)})
    seeds = {a["id"]: a for a in seed_articles()}
    for key, info in stored.articles.items():
        assert (info.title, info.published, info.url) == (seeds[key].get("title"), seeds[key]["published"],
                                                           seeds[key].get("url"))
        assert info.text and info.text.split("\n")[0] in seeds[key]["text"]


def test_a_database_suffix_implies_the_format_and_an_explicit_format_wins(tmp_path: Path) -> None:
    assert invoke("extract", str(SEEDS), "-m", "rules", "-o", str(tmp_path / "run.sqlite")).exit_code == 0
    assert is_database(tmp_path / "run.sqlite")
    assert invoke("extract", str(SEEDS), "-m", "rules", "--format", "sqlite", "-o", str(tmp_path / "run.out")).exit_code == 0
    assert is_database(tmp_path / "run.out")
    assert invoke("extract", str(SEEDS), "-m", "rules", "--format", "jsonl", "-o", str(tmp_path / "lines.db")).exit_code == 0
    assert len(read_jsonl(tmp_path / "lines.db")) == 5


def test_format_sqlite_without_an_output_file_is_a_one_line_error() -> None:
    result = invoke("extract", str(SEEDS), "-m", "rules", "--format", "sqlite")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--output FILE.db" in result.stderr


def test_a_file_that_is_not_an_extractor_database_is_refused_in_one_line(tmp_path: Path) -> None:
    not_a_database = tmp_path / "run.db"
    not_a_database.write_text('{"id": "x"}\n')
    result = invoke("extract", str(SEEDS), "-m", "rules", "-o", str(not_a_database))
    assert result.exit_code == 2 and "is not an extractor database" in result.stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("PRAGMA user_version = 99")
    result = invoke("extract", str(SEEDS), "-m", "rules", "-o", str(other))
    assert result.exit_code == 2 and f"schema version 99, not {SCHEMA_VERSION}" in result.stderr
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)")
    result = invoke("extract", str(SEEDS), "-m", "rules", "-o", str(foreign))
    assert result.exit_code == 2 and "a SQLite database that extractor did not make" in result.stderr
    assert invoke("score", str(DATASETS / "seeds" / "gold.jsonl"), str(foreign)).exit_code == 2


def write_corpus(path: Path, articles: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return path


def test_a_rerun_with_the_same_database_skips_finished_articles(tmp_path: Path) -> None:
    seeds, database = seed_articles(), tmp_path / "run.db"
    invoke("extract", str(write_corpus(tmp_path / "first.jsonl", seeds[:3])), "-m", "rules", "-o", str(database))
    result = invoke("extract", str(SEEDS), "-m", "rules", "-o", str(database))
    assert result.exit_code == 0 and "2 ok" in result.stderr and "3 already done" in result.stderr
    connection = consistent(database)
    assert sorted(row[0] for row in connection.execute("SELECT id FROM articles")) == sorted(a["id"] for a in seeds)


def test_retry_errors_replaces_an_articles_rows_instead_of_adding_to_them(tmp_path: Path) -> None:
    seeds, database = seed_articles(), tmp_path / "run.db"
    broken = [{**seeds[0], "text": " "}, *seeds[1:]]  # an empty article: an error record, no call
    invoke("extract", str(write_corpus(tmp_path / "corpus.jsonl", broken)), "-m", "rules", "-o", str(database))
    status = "SELECT status, errors FROM articles WHERE id = ?"
    assert consistent(database).execute(status, (seeds[0]["id"],)).fetchone()[0] == "error"
    fixed = write_corpus(tmp_path / "corpus.jsonl", seeds)
    assert "5 already done" in invoke("extract", str(fixed), "-m", "rules", "-o", str(database)).stderr
    result = invoke("extract", str(fixed), "-m", "rules", "-o", str(database), "--retry-errors")
    assert "1 ok" in result.stderr and "4 already done" in result.stderr
    connection = consistent(database)
    assert connection.execute(status, (seeds[0]["id"],)).fetchone() == ("ok", "[]")
    assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    fresh = tmp_path / "fresh.jsonl"
    invoke("extract", str(fixed), "-m", "rules", "-o", str(fresh))
    assert without_seconds(load_run(database).records) == without_seconds(load_run(fresh).records)


def record(article_id: str, *events: dict[str, Any], status: str = "ok") -> Record:
    return Record.model_validate({"id": article_id, "model": "m", "prompt_version": "p", "status": status, "events": list(events),
            "errors": [] if status == "ok" else ["timeout: took too long"],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}, "cached": False, "seconds": 1.5, "mode": "tools", "encoding": None})


def counts(connection: sqlite3.Connection) -> dict[str, int]:
    return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("articles", "events", "weapons", "places", "damage", "figures")}


def test_writing_an_article_again_leaves_none_of_its_old_rows(tmp_path: Path) -> None:
    database = tmp_path / "run.db"
    writer = DatabaseWriter(database)
    writer.write(record("a", event(), event(role="background", date="2024-11-18")))
    writer.write(record("b", event()))
    assert counts(writer.connection) == {"articles": 2, "events": 3, "weapons": 6, "places": 3, "damage": 3,
                                         "figures": 15}
    writer.write(record("a", event(weapons=[], places=[])))
    writer.write(record("b", status="error"))
    assert counts(writer.connection) == {"articles": 2, "events": 1, "weapons": 0, "places": 0, "damage": 1,
                                         "figures": 1}
    writer.close()
    consistent(database)
    assert load_run(database).records["a"] == record("a", event(weapons=[], places=[]))


def test_a_failed_write_rolls_the_whole_article_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.errors import OutputError
    from extractor.output import sqlite as module

    writer = DatabaseWriter(tmp_path / "run.db")
    writer.write(record("a", event()))

    def full_disk(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(module, "_insert_figures", full_disk)
    with pytest.raises(OutputError, match="1 records of this run are safely written"):
        writer.write(record("a", event(), event()))
    monkeypatch.undo()
    assert counts(writer.connection)["events"] == 1 and load_run(tmp_path / "run.db").records["a"] == record("a", event())


KILL_MID_WRITE = """
import json, os, signal, sys
from pathlib import Path
from extractor.output import sqlite
from extractor.record import Record
first, second = (Record.model_validate(r) for r in json.loads(sys.stdin.read()))
writer = sqlite.DatabaseWriter(Path(sys.argv[1]))
writer.write(first)
write_figures = sqlite._insert_figures
def die(*args):
    write_figures(*args)
    os.kill(os.getpid(), signal.SIGKILL)
sqlite._insert_figures = die
writer.write(second)
"""


def test_a_process_killed_in_the_middle_of_an_articles_transaction_leaves_it_absent(tmp_path: Path) -> None:
    database = tmp_path / "run.db"
    records = [record("whole", event()), record("torn", event(), event())]
    done = subprocess.run([sys.executable, "-c", KILL_MID_WRITE, str(database)], input=json.dumps([r.to_json() for r in records]),
                          text=True, capture_output=True, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (tmp_path / "run.db-wal").exists()  # the kill left the log for the next opener to recover
    connection = consistent(database)
    assert [row[0] for row in connection.execute("SELECT id FROM articles")] == ["whole"]
    assert counts(connection)["figures"] == 5


def rich_answer(body: dict[str, Any]) -> Any:
    """Two events with weapons, places, damage and five figures each, all quoting ARTICLE."""
    return answer(extraction(event(), event(role="background", date="2024-11-18")))


def test_a_run_killed_mid_way_leaves_a_consistent_database_and_resumes(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.jsonl", [{"id": f"a{n}", "text": ARTICLE} for n in range(12)])
    database = tmp_path / "run.db"
    with FakeLLMServer(latency=0.3, responder=rich_answer) as server:
        command = [sys.executable, "-m", "extractor", "extract", str(corpus), "--base-url", server.base_url,
                   "-m", "m", "-o", str(database), "-j", "2", "--no-cache"]
        process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _articles_in(database) < 4:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        connection = consistent(database)
        done_before = {row[0] for row in connection.execute("SELECT id FROM articles")}
        assert 4 <= len(done_before) < 12
        for article_id in done_before:  # each article there has every one of its rows
            rows = Counter(connection.execute(FIGURES_BY_ARTICLE, (article_id,)).fetchall())
            assert sum(rows.values()) == 10 and len(set(rows)) == 5
        connection.close()
        server.reset()
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        resent = [r for r in server.requests if r.path == CHAT_PATH]
    assert len(resent) == 12 - len(done_before)
    assert counts(consistent(database)) == {"articles": 12, "events": 24, "weapons": 48, "places": 24, "damage": 24,
                                            "figures": 120}


def _articles_in(database: Path) -> int:
    if not database.exists():
        return 0
    try:
        with connect(database) as connection:
            return int(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:  # not made yet
        return 0


def test_category_totals_take_the_articles_own_category_count_else_the_sum_of_its_models(tmp_path: Path) -> None:
    text = "Russia launched 68 drones, 13 Shaheds and 5 Gerberas, and 3 missiles."
    drones = [{"category": "drone", "model": None, "launched": figure(68, "68 drones"), "intercepted": None},
              {"category": "drone", "model": "Shahed", "launched": figure(13, "13 Shaheds"), "intercepted": None}]
    models_only = [{"category": "drone", "model": "Shahed", "launched": figure(13, "13 Shaheds"), "intercepted": None},
                   {"category": "drone", "model": "Gerbera", "launched": figure(5, "5 Gerberas"), "intercepted": None},
                   {"category": "missile", "model": None, "launched": figure(3, "3 missiles"), "intercepted": None}]
    writer = DatabaseWriter(tmp_path / "run.db")
    writer.write(record("a", event(weapons=drones, places=[], killed=None, summary=text)))
    writer.write(record("b", event(weapons=models_only, places=[], killed=None, summary=text)))
    rows = writer.connection.execute("SELECT article_id, category, launched, launched_from, intercepted, intercepted_from "
                                     "FROM event_category_totals ORDER BY article_id, category").fetchall()
    assert rows == [("a", "drone", 68, "category", None, None), ("b", "drone", 18, "models", None, None),
                    ("b", "missile", 3, "category", None, None)]


def test_every_view_runs(seed_runs: tuple[Path, Path]) -> None:
    connection = consistent(seed_runs[1])
    views = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
    assert sorted(views) == ["event_category_totals", "event_rows", "figure_rows", "place_rows", "weapon_rows"]
    for name in views:
        assert connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0] > 0, name
    figures = connection.execute("SELECT count(*) FROM figures").fetchone()[0]
    assert connection.execute("SELECT count(*) FROM figure_rows").fetchone()[0] == figures


def test_export_turns_a_jsonl_run_into_the_same_database_and_back(seed_runs: tuple[Path, Path], tmp_path: Path) -> None:
    jsonl, _ = seed_runs
    database = tmp_path / "exported.db"
    result = invoke("export", str(jsonl), "--format", "sqlite", "-o", str(database), "--articles", str(SEEDS))
    assert result.exit_code == 0 and "wrote 5 records" in result.stderr
    assert load_run(database).records == load_run(jsonl).records  # seconds and all
    assert all(info.text for info in load_run(database).articles.values())
    again = invoke("export", str(jsonl), "-o", str(database))  # the suffix says sqlite; titles and texts stay
    assert again.exit_code == 0 and counts(consistent(database))["articles"] == 5
    assert all(info.text for info in load_run(database).articles.values())
    back = tmp_path / "back.jsonl"
    assert invoke("export", str(database), "--format", "jsonl", "-o", str(back)).exit_code == 0
    assert read_jsonl(back) == [r.to_json() for r in load_run(database).records.values()]


def test_export_of_a_bad_line_names_it(tmp_path: Path) -> None:
    run = tmp_path / "run.jsonl"
    run.write_text(record("a").line() + "not json\n")
    result = invoke("export", str(run), "-o", str(tmp_path / "run.db"))
    assert result.exit_code == 2 and f"{run}:2: not JSON" in result.stderr


def test_score_and_evals_read_a_database_wherever_they_read_a_jsonl_run(seed_runs: tuple[Path, Path]) -> None:
    from extractor.evaluation.evals import score_report

    jsonl, database = seed_runs
    gold = DATASETS / "seeds" / "gold.jsonl"
    from_db, from_jsonl = score_report(gold, database), score_report(gold, jsonl)
    assert from_db.runs[0].scores == from_jsonl.runs[0].scores and from_db.runs[0].scores.slots.f1
    scored = invoke("score", str(gold), str(database), "--format", "json")
    assert scored.exit_code == 0 and json.loads(scored.stdout)["slots"]["f1"] == from_jsonl.runs[0].scores.slots.f1
    table = invoke("evals", "-d", "seeds", "-m", f"file:{database}", "-m", f"file:{jsonl}")
    assert table.exit_code == 0 and "file:run.db" in table.stdout and "file:run.jsonl" in table.stdout


def test_a_lock_on_the_database_file_leaves_sqlite_working(tmp_path: Path) -> None:
    """The output lock is a flock on the output file; SQLite's own locks are fcntl locks, which it does not touch."""
    import fcntl

    database = tmp_path / "run.db"
    holder = os.open(database, os.O_RDWR | os.O_CREAT, 0o644)  # as the lock does: an empty file, then a flock
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        writer = DatabaseWriter(database)
        writer.write(record("a", event()))
        assert load_run(database).records["a"].events
        writer.close()
    finally:
        os.close(holder)
    consistent(database)


def test_a_second_run_on_a_database_being_written_fails_at_once(tmp_path: Path) -> None:
    """One writer at a time, by the output lock (the hardening change), for databases as for JSONL."""
    lock = pytest.importorskip("extractor.output.lock")
    database = tmp_path / "run.db"
    with lock.output_lock(database):
        result = invoke("extract", str(SEEDS), "-m", "rules", "-o", str(database))
    assert result.exit_code == 2 and "another extractor run" in result.stderr
    open_database(database, create=True).close()


def test_export_keeps_the_last_record_of_an_id_as_a_rerun_appends_it(tmp_path: Path) -> None:
    run = tmp_path / "run.jsonl"
    run.write_text("".join(r.line() for r in (record("a", status="error"), record("b", event()),
                                                           record("a", event()))))
    assert invoke("export", str(run), "-o", str(tmp_path / "run.db")).exit_code == 0
    stored = load_run(tmp_path / "run.db")
    assert stored.records == load_run(run).records and stored.records["a"].status == "ok"
    assert counts(consistent(tmp_path / "run.db"))["events"] == 2


def test_the_readmes_three_queries_give_the_output_it_shows(seed_runs: tuple[Path, Path]) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme[readme.index("Three queries on the run above"):readme.index("## Attacks: one attack")]
    examples = re.findall(r"```sql\n(.*?)```\n\n```\n(.*?)```", section, re.S)
    assert len(examples) == 3
    connection = connect(seed_runs[1])
    for sql, shown in examples:
        rows = [tuple(None if v is None else str(v) for v in row) for row in connection.execute(sql)]
        assert rows == column_table(shown), sql
