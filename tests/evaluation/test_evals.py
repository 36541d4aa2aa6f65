"""Evals end to end: models over a gold set, scored, compared, failures counted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakeserver import FakeLLMServer, answer, server_error
from helpers import DATASETS, read_jsonl, seed_articles

from extractor.cli import main
from extractor.evaluation.evals import latency, load_prices, run_cost, run_evals
from extractor.evaluation.results import Latency
from extractor.settings import resolve_settings

GOLD = DATASETS / "seeds" / "gold.jsonl"
ARTICLE_IN_PROMPT = re.compile(r"<<<ARTICLE\n(.*)\nARTICLE>>>", re.S)


def gold_answers() -> dict[str, dict[str, Any]]:
    gold = {g["id"]: g["events"] for g in read_jsonl(GOLD)}
    return {a["text"]: {"events": gold[a["id"]]} for a in seed_articles()}


def gold_responder(body: dict[str, Any]) -> Any:
    text = ARTICLE_IN_PROMPT.search(body["messages"][-1]["content"]).group(1)  # type: ignore[union-attr]
    return answer(gold_answers()[text], usage=(1000, 200))


def test_an_llm_answering_gold_scores_one_and_beats_rules(llm_server: FakeLLMServer) -> None:
    llm_server.responder = gold_responder
    settings = resolve_settings(model="rules", base_url=llm_server.base_url)
    report = run_evals("seeds", ["rules", "gpt-4.1-mini"], ["default"], settings).model_dump(mode="json")
    rules, llm = report["runs"]
    assert llm["scores"]["slots"]["f1"] == 1.0 and llm["scores"]["events"]["f1"] == 1.0
    assert llm["scores"]["validity_rate"] == 1.0 and llm["scores"]["grounding_rate"] == 1.0
    assert llm["tokens"] == {"prompt": 5000, "completion": 1000}
    # 5,000 in at $0.40/M and 1,000 out at $1.60/M
    assert llm["cost_usd"] == pytest.approx((5000 * 0.40 + 1000 * 1.60) / 1e6)
    assert rules["cost_usd"] == 0.0 and rules["prompt"] is None
    assert 0 < rules["scores"]["slots"]["f1"] < 1
    (comparison,) = report["comparisons"]
    assert comparison["a"] == "gpt-4.1-mini" and comparison["b"] == "rules"
    assert comparison["difference"] > 0 and comparison["share_not_better"] == 0.0
    assert report["gold"]["articles"] == 5 and report["gold"]["facts"] == sum(report["gold"]["facts_per_kind"].values())


def test_a_model_that_fails_on_some_articles_has_them_counted(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(server_error(), server_error())  # the first two articles fail, three answer
    llm_server.responder = gold_responder
    settings = resolve_settings(model="rules", base_url=llm_server.base_url, concurrency=1)
    settings = settings.with_(transport_attempts=1)
    report = run_evals("seeds", ["local-model"], ["default"], settings).model_dump(mode="json")
    (run,) = report["runs"]
    failed = sorted(run["failures"]["articles"])
    assert run["failures"]["error"] == 2 and len(failed) == 2
    assert run["scores"]["validity_rate"] == pytest.approx(3 / 5)
    gold_facts_of_failed = sum(run["scores"]["per_article"][key]["slots"]["fn"] for key in failed)
    assert run["scores"]["slots"]["fn"] == gold_facts_of_failed > 0  # the failed ones count, as misses
    assert run["scores"]["slots"]["fp"] == 0
    assert run["cost_usd"] is None  # an unpriced model's cost is unknown, not zero


def test_stored_predictions_compare_without_calling_anything(tmp_path: Path) -> None:
    perfect = tmp_path / "perfect.jsonl"
    perfect.write_text("".join(json.dumps(g) + "\n" for g in read_jsonl(GOLD)), encoding="utf-8")
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join(json.dumps(g) + "\n" for g in read_jsonl(GOLD)[:2]), encoding="utf-8")
    settings = resolve_settings(model="rules")
    report = run_evals("seeds", [f"file:{perfect}", f"file:{partial}"], ["default"], settings).model_dump(mode="json")
    first, second = report["runs"]
    assert first["scores"]["slots"]["f1"] == 1.0
    assert second["failures"]["missing"] == 3 and second["scores"]["validity_rate"] == pytest.approx(0.4)


def test_prices_are_data_and_overridable(tmp_path: Path) -> None:
    assert load_prices()["gpt-4.1-mini"] == {"input": 0.40, "output": 1.60}
    custom = tmp_path / "prices.json"
    custom.write_text(json.dumps({"models": {"my-local": {"input": 0, "output": 0}}}), encoding="utf-8")
    prices = load_prices(custom)
    assert run_cost("my-local", [{"usage": {"prompt_tokens": 10, "completion_tokens": 5}}], prices) == 0.0
    assert run_cost("unknown-model", [], prices) is None


def test_latency_percentiles() -> None:
    records = [{"seconds": s} for s in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100]]
    assert latency(records) == Latency(p50=10.5, p95=19)
    assert latency([]) == Latency(p50=None, p95=None)


def test_score_command_json_has_the_issue_keys(tmp_path: Path) -> None:
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(g) + "\n" for g in read_jsonl(GOLD)), encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(GOLD), str(pred), "--format", "json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    for key in ("events", "slots", "per_kind", "qualifier_accuracy", "source_accuracy", "grounding_rate", "validity_rate"):
        assert key in scores
    assert set(scores["slots"]) >= {"precision", "recall", "f1", "tp", "fp", "fn", "ci95"}
    assert scores["slots"]["f1"] == 1.0 and scores["grounding_rate"] == 1.0


def test_extract_output_records_are_valid_score_input(tmp_path: Path) -> None:
    out = tmp_path / "rules.jsonl"
    CliRunner().invoke(main, ["extract", str(DATASETS / "seeds" / "articles.jsonl"), "-m", "rules", "-o", str(out)])
    result = CliRunner().invoke(main, ["score", str(GOLD), str(out), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["validity_rate"] == 1.0


def test_unknown_dataset_is_a_one_line_error() -> None:
    result = CliRunner().invoke(main, ["evals", "--dataset", "nope", "-m", "rules"])
    assert result.exit_code == 2 and "no dataset 'nope'" in result.stderr


@pytest.mark.parametrize("dataset", ["seeds", "dev"])
def test_evals_cli_runs_rules_and_writes_the_three_reports(dataset: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["evals", "--dataset", dataset, "--model", "rules", "--report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Slot F1" in result.stdout and "rules" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    (run,) = report["runs"]
    assert run["scores"]["validity_rate"] == 1.0 and run["scores"]["grounding_rate"] == 1.0
    assert 0.5 <= run["scores"]["slots"]["f1"] < 1.0  # the issue's floor; below 1: it is not the gold
    assert "<html" in (tmp_path / "report.html").read_text("utf-8")
    assert "# " in (tmp_path / "report.md").read_text("utf-8")


def test_evals_accepts_a_datetime_published_as_extract_does(tmp_path: Path) -> None:
    text = "Russian drones struck Kharkiv overnight, killing two people."
    (tmp_path / "articles.jsonl").write_text(json.dumps({"id": "x", "text": text, "published": "2025-11-14T06:00:00Z"}) + "\n")
    (tmp_path / "gold.jsonl").write_text(json.dumps({"id": "x", "events": []}) + "\n")
    result = CliRunner().invoke(main, ["evals", "--dataset", str(tmp_path), "-m", "rules"])
    assert result.exit_code == 0, result.output


def test_a_prediction_file_for_another_dataset_is_an_error_naming_the_counts(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text("".join(json.dumps({"id": f"other-{n}", "events": []}) + "\n" for n in range(7)))
    result = CliRunner().invoke(main, ["evals", "--dataset", "dev", "-m", f"file:{wrong}"])
    assert result.exit_code == 2
    assert "holds none of the 10 article ids of dataset 'dev'" in result.stderr and "7 records" in result.stderr


def test_a_prediction_file_covering_under_half_is_warned_about_loudly(tmp_path: Path, caplog: Any) -> None:
    some = tmp_path / "some.jsonl"
    some.write_text("".join(json.dumps(g) + "\n" for g in read_jsonl(GOLD)[:2]))
    with caplog.at_level("WARNING"):
        run_evals("seeds", [f"file:{some}"], ["default"], resolve_settings(model="rules"))
    assert "covers only 2 of the 5 articles of dataset 'seeds'" in caplog.text
