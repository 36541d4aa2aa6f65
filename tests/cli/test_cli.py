"""The CLI end to end: seed articles through a local server, resume, formats, errors."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakeserver import CHAT_PATH, FakeLLMServer, answer, raw
from helpers import ARTICLE, DATASETS, REPO, figure, seed_articles

from extractor.cli import main

SEEDS = DATASETS / "seeds" / "articles.jsonl"
ARTICLE_IN_PROMPT = re.compile(r"<<<ARTICLE\n(.*)\nARTICLE>>>", re.DOTALL)


def article_of(body: dict[str, Any]) -> str:
    match = ARTICLE_IN_PROMPT.search(body["messages"][-1]["content"])
    assert match, "the user message should carry the article"
    return match.group(1)


def answer_for(text: str) -> dict[str, Any]:
    """A codebook-valid answer grounded in ``text``: its first sentence as evidence."""
    evidence = text.split("\n")[0][:60]
    event = {
        "role": "main", "attacker": "Russia", "target_country": "Ukraine", "date": None,
        "date_text": None, "weapons": [], "killed": figure(1, evidence), "injured": None,
        "places": [], "damage": ["residential"], "summary": "=HYPERLINK(\"http://x\")",
    }
    return {"events": [event]}


def respond(body: dict[str, Any]) -> Any:
    return answer(answer_for(article_of(body)))


def invoke(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_seed_articles_give_the_servers_answers_then_come_from_cache(llm_server: FakeLLMServer) -> None:
    llm_server.responder = respond
    args = ["extract", str(SEEDS), "--base-url", llm_server.base_url, "--model", "test-model"]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    records = [json.loads(line) for line in first.stdout.splitlines()]
    texts = {a["id"]: a["text"] for a in seed_articles()}
    assert sorted(r["id"] for r in records) == sorted(texts)
    for record in records:
        assert record["status"] == "ok" and not record["cached"]
        assert record["events"] == answer_for(texts[record["id"]])["events"]
        assert set(record) == {"id", "model", "prompt_version", "status", "events", "errors", "usage", "cached",
                               "seconds", "mode", "encoding", "raw", "chunks", "dropped_figures", "published", "title",
                               "url", "source"}
        seed = next(a for a in seed_articles() if a["id"] == record["id"])
        assert (record["published"], record["title"]) == (seed.get("published"), seed.get("title"))
    second = invoke(*args)
    assert all(json.loads(line)["cached"] for line in second.stdout.splitlines())
    assert llm_server.count(CHAT_PATH) == len(texts)


def test_csv_has_one_row_per_event_and_defangs_formulas(llm_server: FakeLLMServer) -> None:
    llm_server.responder = respond
    result = invoke("extract", str(SEEDS), "--base-url", llm_server.base_url, "-m", "m", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5
    assert all(row["summary"].startswith("'=HYPERLINK") for row in rows)
    assert all(row["killed"] == "1" and row["status"] == "ok" for row in rows)


def test_json_format_is_one_array(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = respond
    out = tmp_path / "out.json"
    invoke("extract", str(SEEDS), "--base-url", llm_server.base_url, "-m", "m", "--format", "json", "-o", str(out))
    assert len(json.loads(out.read_text("utf-8"))) == 5


def test_no_key_and_no_base_url_says_how_to_set_one() -> None:
    result = CliRunner().invoke(main, ["extract", str(SEEDS), "--model", "gpt-4.1-mini"])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "OPENAI_API_KEY" in line and "--base-url" in line and "--model rules" in line


def test_unknown_prompt_is_one_line_and_exit_2(llm_server: FakeLLMServer) -> None:
    result = CliRunner().invoke(main, ["extract", str(SEEDS), "--base-url", llm_server.base_url, "-p", "nope"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: unknown prompt 'nope'; choose one of: ask, brief, default, draft, figures, merge"


def test_bad_inputs_exit_2_and_the_others_are_processed(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = respond
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "good.txt").write_text("Drones struck Kharkiv overnight.", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["extract", str(tmp_path / "empty.txt"), str(tmp_path / "good.txt"), "--published", "2024-01-01",
               "--base-url", llm_server.base_url, "-m", "m"],
    )
    assert result.exit_code == 2
    records = {json.loads(line)["id"]: json.loads(line) for line in result.stdout.splitlines()}
    assert records["good"]["status"] == "ok"
    assert records["empty"]["status"] == "error" and "empty" in records["empty"]["errors"][0]
    assert "empty.txt" in result.stderr


def test_bad_published_option_is_exit_2() -> None:
    result = CliRunner().invoke(main, ["extract", str(SEEDS), "--published", "last week", "-m", "rules"])
    assert result.exit_code == 2 and "last week" in result.stderr


def test_cache_info_and_clear(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = respond
    cache_dir = tmp_path / "c"
    invoke("extract", str(SEEDS), "--base-url", llm_server.base_url, "-m", "m", "--cache-dir", str(cache_dir))
    info = invoke("cache", "info", "--cache-dir", str(cache_dir))
    assert "entries: 5" in info.stdout
    assert "removed 5 entries" in invoke("cache", "clear", "--cache-dir", str(cache_dir)).stdout
    assert "entries: 0" in invoke("cache", "info", "--cache-dir", str(cache_dir)).stdout


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "extractor", "--help"], capture_output=True, text=True, check=True)
    assert "extract" in done.stdout and "cache" in done.stdout


def test_prompts_lists_names_and_versions() -> None:
    lines = invoke("prompts").stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["ask", "brief", "default", "draft", "figures", "merge"]
    assert all(re.fullmatch(r"[0-9a-f]{12}", line.split("\t")[1]) for line in lines)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert f"extractor {command}" in readme


def test_without_key_or_base_url_the_rules_model_runs_and_says_so_in_one_line() -> None:
    result = CliRunner().invoke(main, ["extract", str(SEEDS)])
    assert result.exit_code == 0
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "'rules'" in notes[0] and "OPENAI_API_KEY" in notes[0] and "--base-url" in notes[0]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 5 and all(r["model"] == "rules" and r["status"] == "ok" for r in records)
    assert sum(len(r["events"]) for r in records) > 0


def test_output_pointing_at_a_directory_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["extract", "-", "-m", "rules", "-o", str(tmp_path)], input="Drones hit Sumy.")
    assert result.exit_code == 2 and "is a directory" in result.stderr


def test_an_invalid_article_makes_the_exit_code_1(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = lambda body: raw("not json at all")
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "a.txt"), "--base-url", llm_server.base_url,
                                       "-m", "m", "--mode", "json", "--max-retries", "0"])
    assert json.loads(result.stdout)["status"] == "invalid" and result.exit_code == 1
