"""``extractor reconcile``: attacks held against the Air Force's daily counts (tests/data/reference_sample.csv).

The sample is 24 real rows of the Massive Missile Attacks table (see
tests/data/README.md for its attribution), on four nights of the attacks in
evals/datasets/attacks.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import DATASETS

from extractor.attacks.reconcile import consistent
from extractor.attacks.reference import read_reference
from extractor.cli import main

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference_sample.csv"
FULL_TABLE = Path("/work/shared/reference/missile_attacks_daily.csv")  # where the sample was copied from
NIGHTS = {dt.date(2024, 7, 8), dt.date(2024, 8, 26), dt.date(2025, 9, 7), dt.date(2025, 11, 19)}
COLUMNS = ["attack_id", "date", "category", "model", "kind", "reported", "qualifier", "reference", "status"]


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def rules_attacks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The attacks of the rules extractor's run over evals/datasets/attacks/articles.jsonl."""
    folder = tmp_path_factory.mktemp("rules")
    run, attacks = folder / "run.jsonl", folder / "attacks.jsonl"
    extracted = cli("extract", DATASETS / "attacks" / "articles.jsonl", "-m", "rules", "--no-cache", "-o", run)
    assert extracted.exit_code == 0, extracted.output
    resolved = cli("attacks", run, "-o", attacks)
    assert resolved.exit_code == 0, resolved.output
    return attacks


def test_reconcile_the_rules_attacks_with_the_reference_sample(tmp_path: Path, rules_attacks: Path) -> None:
    out = tmp_path / "comparisons.csv"
    result = cli("reconcile", rules_attacks, "--reference", REFERENCE, "-o", out)
    assert result.exit_code == 0, result.output
    assert "3 rows from regional or other sources left out" in result.stderr

    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert set(COLUMNS) <= set(reader.fieldnames or [])
        rows = list(reader)

    drones = [r for r in rows if (r["date"], r["category"], r["model"], r["kind"])
              == ("2025-09-07", "drone", "", "launched")]
    assert len(drones) == 1
    assert drones[0]["reported"] == "810" and drones[0]["reference"] == "810" and drones[0]["status"] == "agrees"

    differs = [r for r in rows if r["status"] == "differs"]
    assert differs
    for row in differs:  # both values shown, and they are not the same
        assert row["reported"].isdigit() and row["reference"].isdigit() and row["reported"] != row["reference"]
        assert row["date"][:10] in {n.isoformat() for n in NIGHTS}

    statuses = {r["status"] for r in rows}
    assert statuses <= {"agrees", "differs", "not_reported", "not_in_reference"}
    assert "agrees" in statuses


def test_the_reference_sample_reads_whole() -> None:
    table = read_reference(REFERENCE)
    assert table.rows == 24 and table.not_national == 3
    assert table.malformed == [] and table.unknown == {}
    assert len(table.problems()) == 1 and "3 rows from regional" in table.problems()[0]
    assert set(table.nights) == NIGHTS
    assert table.nights[dt.date(2025, 9, 7)].total(("drone",)) == (810, 747)  # Unknown UAV is regional: left out
    # "X-101/X-555 and Kalibr and X-59/X-69" (115) is counted with the night's other missiles.
    assert table.nights[dt.date(2024, 8, 26)].total(("cruise_missile", "ballistic_missile", "missile")) == (127, 102)


def test_the_reference_sample_is_rows_of_the_real_table() -> None:
    if not FULL_TABLE.is_file():
        pytest.skip(f"{FULL_TABLE} is not here to compare with")
    sample = REFERENCE.read_text("utf-8").splitlines()
    full = FULL_TABLE.read_text("utf-8").splitlines()
    assert sample[0] == full[0]  # the same header
    assert 0 < len(sample) - 1 < 30
    assert set(sample[1:]) <= set(full[1:])


@pytest.mark.parametrize(
    ("reported", "qualifier", "reference", "agrees"),
    [
        (100, "more_than", 127, True),
        (100, "more_than", 100, False),
        (40, "exact", 44, False),
        (40, "exact", 40, True),
        (10, "at_least", 41, True),
        (10, "at_least", 10, True),
        (10, "at_least", 9, False),
        (50, "up_to", 50, True),
        (50, "up_to", 12, True),
        (50, "up_to", 51, False),
        (100, "approximately", 110, True),  # within 10%
        (100, "approximately", 90, True),
        (100, "approximately", 111, False),
        (100, "approximately", 89, False),
        (5, "approximately", 6, True),  # a small count: one either way
        (5, "approximately", 7, False),
    ],
    ids=lambda v: str(v),
)
def test_consistent_reads_the_qualifier(reported: int, qualifier: str, reference: int, agrees: bool) -> None:
    assert consistent(reported, qualifier, reference) is agrees
