"""Reading eval files: strict gold and articles, forgiving predictions, errors with line numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractor.errors import InputError
from extractor.evaluation.datasets import load_articles, load_gold, load_predictions
from extractor.evaluation.evals import score_report

EVENT: dict[str, Any] = {
    "role": "main",
    "attacker": "Russia",
    "target_country": "Ukraine",
    "date": "2025-11-14",
    "places": [{"name": "Kyiv", "kind": "settlement"}],
    "killed": {"value": 2, "qualifier": "exact", "evidence": "killed two people"},
    "summary": "Russia struck Kyiv.",
}


def write_lines(path: Path, *records: Any) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", "utf-8")
    return path


def test_load_gold_validates_events(tmp_path: Path) -> None:
    gold = load_gold(write_lines(tmp_path / "gold.jsonl", {"id": "a", "events": [EVENT]}, ""))
    assert list(gold) == ["a"]
    assert gold["a"][0].killed is not None and gold["a"][0].killed.value == 2


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([{"id": "a", "events": []}, {"id": "a", "events": []}], r"gold.jsonl:2: .*repeats line 1"),
        ([{"id": "a", "events": [EVENT | {"date": "14 Nov"}]}], r"gold.jsonl:1: events.0.date"),
        ([{"id": "a", "events": [], "note": "x"}], r"gold.jsonl:1: note"),
        ([{"id": "a", "events": []}, '{"id": "b", "ev'], r"gold.jsonl:2: not JSON"),
        (["[1, 2]"], r"gold.jsonl:1: not a JSON object"),
    ],
)
def test_load_gold_is_strict_and_names_the_line(tmp_path: Path, lines: list[Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_gold(write_lines(tmp_path / "gold.jsonl", *lines))


def test_load_gold_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_gold(tmp_path / "absent.jsonl")


def test_load_articles(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text(
        "\ufeff"  # a byte-order mark is not part of the first line
        + json.dumps({"id": "a", "text": "T\u2028ext", "published": "2025-11-14", "title": None})
        + "\n",
        "utf-8",
    )
    articles = load_articles(path)
    assert articles["a"].text == "T\u2028ext" and articles["a"].published == "2025-11-14"
    with pytest.raises(InputError, match=r"articles.jsonl:2: id 'a' repeats line 1"):
        load_articles(write_lines(path, {"id": "a", "text": "x"}, {"id": "a", "text": "y"}))


def test_load_predictions_reads_records_and_bare_lines_and_the_last_line_wins(
    tmp_path: Path,
) -> None:
    record = {
        "id": "a",
        "model": "m",
        "prompt_version": "p1",
        "status": "ok",
        "events": [EVENT],
        "errors": [],
        "usage": {"input_tokens": 10},
        "cached": False,
        "seconds": 1.5,
        "added_later": True,  # output records may grow; predictions ignore unknown keys
    }
    failed = {"id": "b", "status": "invalid", "events": [{"garbage": 1}], "errors": ["invalid"]}
    path = write_lines(
        tmp_path / "pred.jsonl",
        record,
        failed,
        {"id": "c", "events": [EVENT]},
        {"id": "b", "status": "ok", "events": []},  # a rerun appended: this line wins
        failed | {"id": "d"},
    )
    predictions = load_predictions(path)
    assert predictions["a"].valid and predictions["a"].model == "m"
    assert len(predictions["a"].events) == 1
    assert predictions["b"].valid and predictions["b"].events == []
    assert predictions["c"].valid and predictions["c"].status == "ok"
    # A failed record's events are dropped unread, even when they would not validate.
    assert not predictions["d"].valid and predictions["d"].events == []


@pytest.mark.parametrize(
    "line",
    [{"id": "a"}, {"id": "a", "status": "ok", "events": None}, {"id": "a", "events": [{}]}],
)
def test_load_predictions_rejects_ok_records_without_valid_events(tmp_path: Path, line: dict[str, Any]) -> None:
    path = write_lines(tmp_path / "pred.jsonl", {"id": "z", "events": []}, line)
    with pytest.raises(InputError, match=r"pred.jsonl:2: "):
        load_predictions(path)


def test_score_report_finds_articles_beside_the_gold(tmp_path: Path) -> None:
    gold = write_lines(tmp_path / "gold.jsonl", {"id": "a", "events": [EVENT]})
    pred = write_lines(tmp_path / "pred.jsonl", {"id": "a", "events": [EVENT]})
    assert score_report(gold, pred).runs[0].scores.grounding_rate is None  # no articles.jsonl yet
    write_lines(tmp_path / "articles.jsonl", {"id": "a", "text": "It killed two people."})
    scores = score_report(gold, pred).runs[0].scores
    assert scores.grounding_rate == 1.0
    assert scores.slots.f1 == 1.0 and scores.validity_rate == 1.0
    elsewhere = write_lines(tmp_path / "other.jsonl", {"id": "a", "text": "Nothing."})
    assert score_report(gold, pred, elsewhere).runs[0].scores.grounding_rate == 0.0
