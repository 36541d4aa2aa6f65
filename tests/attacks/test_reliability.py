"""docs/reliability.md items 31-35, one test per item, named test_rNN_: attacks and reconciliation.

The runs are built from the gold events of evals/datasets/attacks (36
articles, 44 events, 18 attacks), written as extractor records, so the tests
do not depend on any extractor's output. The tests that start real processes
(a SIGKILL mid-write, two writers at once) are marked slow.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import DATASETS

from extractor.attacks import Attack
from extractor.cli import main
from extractor.record import Record

ATTACKS = DATASETS / "attacks"
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference_sample.csv"
EVENTS = 44  # events (reports) in the gold of evals/datasets/attacks
GOLD_ATTACKS = 18

# A child that runs the CLI and kills itself (SIGKILL: no cleanup, no finally) when the
# attacks file is synced, i.e. once the new attacks are written and before they are in place.
KILLED_WHILE_WRITING = """
import os, signal, sys
import extractor.attacks.store as store
from extractor.cli import main

def killed(fd):
    print("killed while writing", os.fstat(fd).st_size, "bytes", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

store.os.fsync = killed
main(sys.argv[1:], standalone_mode=False)
"""

# A child that runs the CLI, saying when it holds the output and then taking 3 s to resolve.
SLOW_WRITER = """
import sys, time
import extractor.attacks.incremental as incremental
from extractor.cli import main

real = incremental.resolve_attacks

def slow(*args, **kwargs):
    print("resolving", flush=True)
    time.sleep(3)
    return real(*args, **kwargs)

incremental.resolve_attacks = slow
main(sys.argv[1:], standalone_mode=False)
"""


def gold_records() -> list[Record]:
    """The gold events of the attacks dataset as one run's records, with each article's provenance."""
    articles = {a["id"]: a for a in map(json.loads, (ATTACKS / "articles.jsonl").read_text("utf-8").splitlines())}
    gold = [json.loads(line) for line in (ATTACKS / "gold.jsonl").read_text("utf-8").splitlines() if line.strip()]
    return [Record(id=g["id"], model="gold", status="ok", events=g["events"], published=articles[g["id"]].get("published"),
                   source=articles[g["id"]].get("source"), url=articles[g["id"]].get("url")) for g in gold]


def write_run(path: Path, records: list[Record]) -> Path:
    path.write_text("".join(r.line() for r in records), encoding="utf-8")
    return path


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def attacks_in(path: Path) -> list[Attack]:
    """Every line of an attacks file as an Attack (fails on any line that is not one)."""
    return [Attack.model_validate_json(line) for line in path.read_bytes().splitlines()]


def every_report(records: list[Record]) -> set[tuple[str, int]]:
    return {(r.id, i) for r in records for i in range(len(r.events))}


def the_error_line(stderr: str) -> str:
    """The one line a refusal prints; fails if there is anything else on stderr."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


def assert_refused_whole(tmp_path: Path, run: Path, line: int) -> None:
    """``attacks`` over ``run`` exits 2 with one error naming ``run:line``; no output is touched or made."""
    out = tmp_path / "attacks.jsonl"
    good = write_run(tmp_path / "good.jsonl", gold_records()[:12])
    assert cli("attacks", good, "-o", out).exit_code == 0
    before = out.read_bytes()
    assert len(attacks_in(out)) >= 3

    result = cli("attacks", run, "-o", out)
    assert result.exit_code == 2, result.output
    assert f"{run}:{line}:" in the_error_line(result.stderr)
    assert out.read_bytes() == before
    assert list(tmp_path.glob("*.part")) == []  # no temporary file left either

    fresh = tmp_path / "fresh.jsonl"
    result = cli("attacks", run, "-o", fresh)
    assert result.exit_code == 2, result.output
    assert f"{run}:{line}:" in the_error_line(result.stderr)
    assert not fresh.exists()


# 31. attacks given a file that is not a run


def test_r31_an_articles_file_is_not_a_run_one_error_naming_file_and_line(tmp_path: Path) -> None:
    articles = tmp_path / "articles.jsonl"
    articles.write_bytes((ATTACKS / "articles.jsonl").read_bytes())
    assert_refused_whole(tmp_path, articles, line=1)


def test_r31b_a_run_with_a_torn_last_line_is_one_error_naming_that_line(tmp_path: Path) -> None:
    records = gold_records()
    lines = [r.line() for r in records]
    run = tmp_path / "run.jsonl"
    run.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2], encoding="utf-8")  # cut mid-JSON
    assert_refused_whole(tmp_path, run, line=len(records))


def test_r31c_a_record_without_events_is_one_error_naming_its_line(tmp_path: Path) -> None:
    records = gold_records()
    bare = records[5].to_json()
    del bare["events"]
    run = tmp_path / "run.jsonl"
    # Five good records, an empty line (lines are counted as in the file), then the bad one: line 7.
    run.write_text("".join(r.line() for r in records[:5]) + "\n" + json.dumps(bare) + "\n"
                   + "".join(r.line() for r in records[6:]), encoding="utf-8")
    assert_refused_whole(tmp_path, run, line=7)


# 32. attacks killed while writing into an output that already exists


def monday_resolved(tmp_path: Path) -> tuple[list[Record], Path, Path, bytes]:
    """Half the set resolved into an attacks file; the other half's run, for a second run into it."""
    records = gold_records()
    monday = write_run(tmp_path / "monday.jsonl", records[:18])
    tuesday = write_run(tmp_path / "tuesday.jsonl", records[18:])
    out = tmp_path / "attacks.jsonl"
    assert cli("attacks", monday, "-o", out).exit_code == 0
    return records, tuesday, out, out.read_bytes()


@pytest.mark.slow
def test_r32_sigkill_mid_write_leaves_the_old_attacks_whole_and_a_rerun_completes(tmp_path: Path) -> None:
    records, tuesday, out, before = monday_resolved(tmp_path)
    old_ids = {a.attack_id for a in attacks_in(out)}

    child = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, "attacks", str(tuesday), "-o", str(out)],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert child.returncode == -signal.SIGKILL, child.stderr
    written = child.stdout.split()
    assert written[:3] == ["killed", "while", "writing"] and int(written[3]) > len(before), child.stdout

    assert out.read_bytes() == before  # the attacks that were there, whole
    assert {a.attack_id for a in attacks_in(out)} == old_ids

    rerun = cli("attacks", tuesday, "-o", out)
    assert rerun.exit_code == 0, rerun.output
    after = attacks_in(out)
    assert old_ids <= {a.attack_id for a in after}
    keys = [r.key for a in after for r in a.reports]
    assert len(keys) == EVENTS and set(keys) == every_report(records)  # every report once: the job is done


# 33. two attacks runs writing to one output at the same time


@pytest.mark.slow
def test_r33_a_second_run_on_the_same_output_refuses_at_once_naming_the_first(tmp_path: Path) -> None:
    records, tuesday, out, before = monday_resolved(tmp_path)

    first = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, "attacks", str(tuesday), "-o", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "resolving"  # it holds the output
        second = subprocess.run([sys.executable, "-m", "extractor", "attacks", str(tuesday), "-o", str(out)],
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)
        first_still_running = first.poll() is None
        unchanged_meanwhile = out.read_bytes() == before
        _, first_stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    assert second.returncode == 2, second.stderr
    assert first_still_running  # refused at once, not after waiting for the first
    line = the_error_line(second.stderr)
    assert str(out) in line and "another extractor run" in line and f"pid {first.pid}" in line
    assert unchanged_meanwhile  # the second wrote nothing

    assert first.returncode == 0, first_stderr  # the first finishes its job
    after = attacks_in(out)
    keys = [r.key for a in after for r in a.reports]
    assert len(after) == GOLD_ATTACKS and len(keys) == EVENTS and set(keys) == every_report(records)


# 34. an incremental run that meets reports already resolved


def test_r34_the_same_run_given_again_changes_nothing(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run.jsonl", gold_records())
    out = tmp_path / "attacks.jsonl"
    assert cli("attacks", run, "-o", out).exit_code == 0
    before = out.read_bytes()
    assert len(attacks_in(out)) == GOLD_ATTACKS

    again = cli("attacks", run, "-o", out)
    assert again.exit_code == 0, again.output
    assert "0 reports placed, 0 attacks new or changed, 36 articles already resolved" in again.stderr
    assert out.read_bytes() == before  # no report twice, no new attack, every attack_id the same


def test_r34b_articles_already_resolved_in_a_second_run_file_add_nothing(tmp_path: Path) -> None:
    records = gold_records()
    out = tmp_path / "attacks.jsonl"
    assert cli("attacks", write_run(tmp_path / "monday.jsonl", records), "-o", out).exit_code == 0
    before = out.read_bytes()
    ids = [a.attack_id for a in attacks_in(out)]

    # The same articles extracted again the next day: the same events, in a record of another run.
    again = [r.model_copy(update={"seconds": 9.5, "cached": True}) for r in records if r.id in ("b10", "c01", "a04")]
    tuesday = write_run(tmp_path / "tuesday.jsonl", again)
    result = cli("attacks", tuesday, "-o", out)
    assert result.exit_code == 0, result.output
    assert "0 reports placed, 0 attacks new or changed, 3 articles already resolved" in result.stderr
    assert out.read_bytes() == before
    assert [a.attack_id for a in attacks_in(out)] == ids


def test_r34c_a_run_given_twice_in_one_call_is_resolved_once(tmp_path: Path) -> None:
    records = gold_records()
    run = write_run(tmp_path / "run.jsonl", records)
    once, twice = tmp_path / "once.jsonl", tmp_path / "twice.jsonl"
    assert cli("attacks", run, "-o", once).exit_code == 0
    copy = write_run(tmp_path / "copy.jsonl", records[::-1])
    assert cli("attacks", run, copy, "-o", twice).exit_code == 0
    assert twice.read_bytes() == once.read_bytes()
    keys = [r.key for a in attacks_in(twice) for r in a.reports]
    assert len(keys) == len(set(keys)) == EVENTS


# 35. reference tables for reconcile with rows that cannot be compared


def rows(fields: list[str], *values: dict[str, str]) -> str:
    """Reference rows in the Massive Missile Attacks shape, every column present."""
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=fields, restval="", lineterminator="\n").writerows(values)
    return buffer.getvalue()


def national(time_end: str, model: str, launched: str, destroyed: str) -> dict[str, str]:
    return {"time_start": time_end[:10], "time_end": time_end, "model": model, "target": "Ukraine",
            "launched": launched, "destroyed": destroyed, "source": "kpszsu/posts/test-row"}


@pytest.fixture
def attacks_file(tmp_path: Path) -> Path:
    out = tmp_path / "attacks.jsonl"
    assert cli("attacks", write_run(tmp_path / "run.jsonl", gold_records()), "-o", out).exit_code == 0
    return out


def lines_with(stderr: str, *words: str) -> list[str]:
    return [line for line in stderr.splitlines() if all(w in line for w in words)]


def test_r35_bad_reference_rows_are_counted_and_named_one_line_a_kind_and_the_rest_compared(
    tmp_path: Path, attacks_file: Path
) -> None:
    clean = cli("reconcile", attacks_file, "--reference", REFERENCE, "-o", tmp_path / "clean.csv")
    assert clean.exit_code == 0, clean.output
    assert "malformed" not in clean.stderr and "unknown" not in clean.stderr and "outside" not in clean.stderr

    text = REFERENCE.read_text("utf-8")
    fields = text.splitlines()[0].split(",")
    first = len(text.splitlines()) + 1  # the line number of the first row added
    dirty = tmp_path / "reference.csv"
    dirty.write_text(text + rows(
        fields,
        national("the night of Sunday", "Shahed-136/131", "10.0", "9.0"),  # malformed: a date that does not read
        national("2024-08-26 18:00", "Kalibr", "many", "3.0"),  # malformed: a count that does not read
        national("2025-09-07 09:30", "Zmiy Gorynych", "2.0", "2.0"),  # unknown weapon names
        national("2025-11-19 10:00", "Zmiy Gorynych", "1.0", "0.0"),
        national("2024-07-08 10:00", "Tornado-S", "5.0", "1.0"),
        national("2022-10-10 09:00", "Kalibr", "40.0", "20.0"),  # nights with no attack here
        national("2023-01-01 07:00", "X-101/X-555", "10.0", "9.0"),
    ), encoding="utf-8")
    result = cli("reconcile", attacks_file, "--reference", dirty, "-o", tmp_path / "comparisons.csv")
    assert result.exit_code == 0, result.output

    malformed = lines_with(result.stderr, "malformed")
    assert len(malformed) == 1 and str(dirty) in malformed[0]
    assert "2 malformed rows" in malformed[0] and f"lines {first}, {first + 1}" in malformed[0]
    unknown = lines_with(result.stderr, "unknown weapon")
    assert len(unknown) == 1 and str(dirty) in unknown[0]
    assert "3 rows with 2 unknown weapon names" in unknown[0]
    assert "'Zmiy Gorynych' (2)" in unknown[0] and "'Tornado-S' (1)" in unknown[0]
    outside = lines_with(result.stderr, "outside")
    assert len(outside) == 1 and "2 nights" in outside[0] and str(dirty) in outside[0]
    assert len(lines_with(result.stderr, "3 rows from regional")) == 1  # the fixture's own regional rows

    # Everything else is compared, as it is without the bad rows.
    assert (tmp_path / "comparisons.csv").read_bytes() == (tmp_path / "clean.csv").read_bytes()
    compared = list(csv.DictReader((tmp_path / "comparisons.csv").open(encoding="utf-8")))
    assert sum(c["status"] == "agrees" for c in compared) >= 10


def test_r35b_a_plain_reference_table_with_bad_rows_says_so_and_compares_the_rest(
    tmp_path: Path, attacks_file: Path
) -> None:
    table = tmp_path / "plain.csv"
    table.write_text("date,weapon,launched,intercepted\n"
                     "2025-09-07,Shahed-136/131,810,747\n"
                     "2025-09-07,Shahed-136/131,eight hundred,0\n"
                     "2025-09-07,Flamingo,3,0\n"
                     "2021-01-01,Kalibr,1,1\n", encoding="utf-8")
    result = cli("reconcile", attacks_file, "--reference", table, "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert len(lines_with(result.stderr, "1 malformed rows", "lines 3)")) == 1
    assert len(lines_with(result.stderr, "1 rows with 1 unknown weapon names", "'Flamingo' (1)")) == 1
    assert len(lines_with(result.stderr, "1 nights", "outside")) == 1
    compared = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    drones = {(c["date"], c["category"], c["kind"]): c for c in compared if c["category"] == "drone"}
    assert drones[("2025-09-07", "drone", "launched")]["reference"] == "810"
    assert drones[("2025-09-07", "drone", "launched")]["status"] == "agrees"


def test_r35c_a_file_that_is_not_a_reference_table_is_one_error(tmp_path: Path, attacks_file: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("id,title,text\n1,Kyiv attacked,Russia launched 40 drones\n", encoding="utf-8")
    for table in (ATTACKS / "articles.jsonl", other):
        out = tmp_path / "comparisons.csv"
        result = cli("reconcile", attacks_file, "--reference", table, "-o", out)
        assert result.exit_code == 2, result.output
        line = the_error_line(result.stderr)
        assert str(table) in line and "not a reference table" in line
        assert not out.exists()


def test_r35d_a_binary_file_as_reference_is_one_error(tmp_path: Path, attacks_file: Path) -> None:
    binary = tmp_path / "reference.xlsx"
    binary.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x9f\xec\x00\x00\xff\xfe" * 20)
    result = cli("reconcile", attacks_file, "--reference", binary)
    assert result.exit_code == 2, result.output
    assert str(binary) in the_error_line(result.stderr)


def test_r35e_a_row_cut_short_is_malformed_not_a_count_of_zero(tmp_path: Path, attacks_file: Path) -> None:
    table = tmp_path / "plain.csv"
    table.write_text("date,weapon,launched,intercepted\n2025-09-07,Shahed-136/131,810\n", encoding="utf-8")
    result = cli("reconcile", attacks_file, "--reference", table, "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert len(lines_with(result.stderr, "1 malformed rows", "lines 2)")) == 1
    compared: list[dict[str, Any]] = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert not [c for c in compared if c["reference"] == "0"]
