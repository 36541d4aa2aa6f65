"""Scores of resolution into attacks: pairwise and B-cubed membership, resolved figures, and evals' table."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.evaluation.clusters import membership
from extractor.evaluation.evals import load_dataset


def test_pairwise_and_bcubed_on_a_hand_worked_example() -> None:
    # Gold: {a, b, c} one attack, {d} another. Predicted: {a, b} together, {c, d} together.
    gold = {"a": "X", "b": "X", "c": "X", "d": "Y"}
    items = [("p1", "a"), ("p1", "b"), ("p2", "c"), ("p2", "d")]
    pairwise, bcubed = membership(items, gold)
    # Predicted pairs: ab (right), cd (wrong); gold pairs: ab, ac, bc.
    assert (pairwise.precision, pairwise.recall) == (0.5, pytest.approx(0.333, abs=1e-3))
    # B-cubed precision: a 1, b 1, c 1/2, d 1/2 -> 0.75; recall: a 2/3, b 2/3, c 1/3, d 1 -> 2/3.
    assert (bcubed.precision, bcubed.recall) == (0.75, pytest.approx(0.667, abs=1e-3))


def test_a_predicted_report_with_no_gold_event_counts_against_precision_and_a_missed_one_against_recall() -> None:
    gold = {"a": "X", "b": "X"}
    perfect = membership([("p1", "a"), ("p1", "b")], gold)[0]
    extra = membership([("p1", "a"), ("p1", "b"), ("p1", "unmatched:p1:z#0")], gold)[0]
    missed = membership([("p1", "a"), ("missing:b", "b")], gold)[0]
    assert perfect.f1 == 1.0 and extra.precision < 1.0 and extra.recall == 1.0
    assert missed.recall == 0.0


def test_the_attacks_set_from_gold_events_resolves_every_attack_and_keeps_near_misses_apart() -> None:
    dataset = load_dataset("attacks")
    scores = dataset.resolution(dataset.gold)
    assert scores is not None
    assert scores.pairwise.f1 >= 0.95 and scores.near_misses_apart == scores.near_misses >= 4
    assert scores.attacks == scores.gold_attacks == 18


def test_evals_shows_resolution_beside_extraction_for_a_set_with_gold_attacks() -> None:
    result = CliRunner().invoke(main, ["evals", "-d", "attacks", "-m", "rules"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "Reports resolved into attacks" in result.output
    assert "gold events" in result.output and "18 (18)" in result.output
