"""The typed record: made by the pipeline, written and read back the same from JSONL and the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import DATASETS, seed_articles

from extractor.cli import main
from extractor.errors import InputError
from extractor.output.stored import export_run, load_run
from extractor.record import RAW_LIMIT, Record, bounded

SEEDS = DATASETS / "seeds" / "articles.jsonl"


def rules_run(tmp_path: Path) -> Path:
    out = tmp_path / "run.jsonl"
    result = CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_records_carry_the_articles_provenance_through_jsonl_and_the_database(tmp_path: Path) -> None:
    run = rules_run(tmp_path)
    database = tmp_path / "run.db"
    export_run(run, database)
    seeds = {s["id"]: s for s in seed_articles()}
    for stored in (load_run(run), load_run(database)):
        assert set(stored.records) == set(seeds)
        for key, record in stored.records.items():
            assert isinstance(record, Record)
            seed = seeds[key]
            published = record.published.isoformat() if record.published else None
            assert (published, record.title, record.url, record.source) == (
                seed.get("published"), seed.get("title"), seed.get("url"), seed.get("source"))
    untimed = [{k: r.model_copy(update={"seconds": 0.0}) for k, r in load_run(path).records.items()}
               for path in (run, database)]
    assert untimed[0] == untimed[1]


def test_an_old_run_without_provenance_still_reads(tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    line = {"id": "a", "model": "rules", "prompt_version": None, "status": "ok", "events": [], "errors": [],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0}, "cached": False, "seconds": 0.1, "mode": None}
    old.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (record,) = load_run(old).records.values()
    assert record.published is None and record.source is None and record.encoding is None


@pytest.mark.parametrize("line", [
    {"id": "a", "text": "an article, not a record"},
    {"id": "a", "status": "ok"},
    {"id": "a", "status": "ok", "events": [{"role": "sideways"}]},
])
def test_a_line_that_is_not_a_record_is_an_error_naming_the_file_and_line(tmp_path: Path, line: object) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n" + json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{bad}:2: not an extractor record"):
        load_run(bad)


def test_a_raw_answer_is_kept_bounded() -> None:
    assert bounded("short") == "short"
    long = "x" * (RAW_LIMIT + 500)
    kept = bounded(long)
    assert kept is not None and kept.startswith("x" * RAW_LIMIT) and kept.endswith("[500 more characters]")


def test_the_last_bad_answer_survives_the_database_and_an_older_database_still_reads(tmp_path: Path) -> None:
    import sqlite3

    from extractor.output.sqlite import DatabaseWriter

    invalid = Record.model_validate({"id": "bad", "status": "invalid", "events": [], "errors": ["events.0: bad"],
                                     "raw": '{"events": [{"role": "sideways"}]}'})
    database = tmp_path / "run.db"
    writer = DatabaseWriter(database)
    writer.write(invalid)
    writer.close()
    assert load_run(database).records["bad"].raw == invalid.raw
    # A database of schema version 1 (before raw) reads, and is brought up to date when written to.
    old = tmp_path / "old.db"
    writer = DatabaseWriter(old)
    writer.write(invalid.model_copy(update={"raw": None}))
    writer.close()
    connection = sqlite3.connect(old)
    connection.executescript("ALTER TABLE articles DROP COLUMN raw; ALTER TABLE articles DROP COLUMN chunks; "
                             "ALTER TABLE articles DROP COLUMN dropped_figures; PRAGMA user_version = 1;")
    connection.close()
    assert load_run(old).records["bad"].raw is None
    writer = DatabaseWriter(old)
    writer.write(invalid)
    writer.close()
    assert load_run(old).records["bad"].raw == invalid.raw


def test_parts_and_dropped_figures_survive_the_database_and_a_version_2_database_is_brought_up(
        tmp_path: Path) -> None:
    import sqlite3

    from extractor.output.sqlite import SCHEMA_VERSION, DatabaseWriter

    read_in_parts = Record.model_validate({"id": "long", "status": "ok", "events": [], "chunks": 4,
                                           "dropped_figures": 2})
    old = tmp_path / "v2.db"
    writer = DatabaseWriter(old)
    writer.write(read_in_parts)
    writer.close()
    assert (load_run(old).records["long"].chunks, load_run(old).records["long"].dropped_figures) == (4, 2)
    connection = sqlite3.connect(old)
    connection.executescript("ALTER TABLE articles DROP COLUMN chunks; "
                             "ALTER TABLE articles DROP COLUMN dropped_figures; PRAGMA user_version = 2;")
    connection.close()
    assert (load_run(old).records["long"].chunks, load_run(old).records["long"].dropped_figures) == (None, 0)
    writer = DatabaseWriter(old)
    writer.write(read_in_parts)
    writer.close()
    assert load_run(old).records["long"].chunks == 4
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
