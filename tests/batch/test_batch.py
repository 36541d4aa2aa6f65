"""The batch engine end to end: submit -> status -> collect against the local server.

The real openai client talks to FakeLLMServer's files and batches endpoints;
each batch line is answered by the same responder as live chat completions,
so one responder scripts both the batch answers and the requeued live calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakeserver import CHAT_PATH, FakeLLMServer, Spec, answer, context_length_exceeded, server_error
from helpers import REPO, event, extraction, figure, read_jsonl, seed_articles

from extractor.batch.requests import custom_id_for
from extractor.cli import main
from extractor.cli.batch import batch

SEEDS = str(REPO / "evals" / "datasets" / "seeds" / "articles.jsonl")
ARTICLES = seed_articles()


def grounded(text: str) -> dict[str, Any]:
    """A valid answer for an article: one event killing one, quoting its first 40 characters."""
    quote = text[:40]
    return extraction(event(weapons=[], places=[], damage=[], killed=figure(1, quote)))


def article_in(body: dict[str, Any]) -> dict[str, Any]:
    """The seed article a request is about, found by its opening in the messages."""
    messages = " ".join(str(m.get("content")) for m in body["messages"])
    return next(a for a in ARTICLES if a["text"][:80] in messages)


def valid_responder(body: dict[str, Any]) -> Spec:
    return answer(grounded(article_in(body)["text"]))


def scripted(first: dict[str, Callable[[], Spec]]) -> Callable[[dict[str, Any]], Spec]:
    """A responder whose first answer for some articles is scripted, and valid otherwise."""
    seen: set[str] = set()

    def respond(body: dict[str, Any]) -> Spec:
        article = article_in(body)
        if article["id"] in first and article["id"] not in seen:
            seen.add(article["id"])
            return first[article["id"]]()
        return answer(grounded(article["text"]))

    return respond


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(batch, [str(a) for a in args])


def submit(server: FakeLLMServer, state: Path, *extra: str | Path, inputs: tuple[str, ...] = (SEEDS,)) -> Result:
    return run("submit", *inputs, "--model", "m1", "--base-url", server.base_url, "--state", state, *extra)


def wait_finished(server: FakeLLMServer, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(b["status"] in ("completed", "failed", "cancelled") for b in server.batch.batches.values()):
            return
        time.sleep(0.02)
    raise AssertionError("batches did not finish")


def by_id(path: Path) -> dict[str, dict[str, Any]]:
    records = read_jsonl(path)
    assert len(records) == len({r["id"] for r in records}), "duplicate records"
    return {r["id"]: r for r in records}


@pytest.mark.slow
def test_round_trip_over_the_seed_articles(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=valid_responder) as server:
        submitted = submit(server, state)
        assert submitted.exit_code == 0, submitted.output
        assert "5 requests in 1 batches" in submitted.output
        wait_finished(server)
        shown = run("status", "--state", state)
        collected = run("collect", "--state", state, "--output", out)
        assert server.count(CHAT_PATH) == 0  # everything went through the batch
        create = next(r for r in server.requests if r.path == "/v1/batches" and r.method == "POST")
    assert shown.exit_code == 0
    assert "completed\t5 completed\t0 failed\t5 total" in shown.output
    assert "total\t1 of 1 batches finished\t5 completed\t0 failed\t5 total" in shown.output
    assert create.body["endpoint"] == "/v1/chat/completions" and create.body["completion_window"] == "24h"
    assert collected.exit_code == 0, collected.output
    records = by_id(out)
    assert set(records) == {a["id"] for a in ARTICLES}
    for article in ARTICLES:
        record = records[article["id"]]
        assert record["status"] == "ok" and record["errors"] == [] and record["cached"] is False
        assert record["events"][0]["killed"]["evidence"] == article["text"][:40]
        assert record["usage"]["prompt_tokens"] > 0 and record["usage"]["completion_tokens"] > 0
        assert record["prompt_version"] and record["model"] == "m1"
    saved = json.loads((state / "state.json").read_text())
    assert saved["batches"][0]["batch_id"].startswith("batch_")
    assert saved["batches"][0]["custom_ids"] == [a["id"] for a in ARTICLES]
    assert "api_key" not in json.dumps(saved)


def test_a_strategy_with_its_own_answer_format_is_asked_for_it_and_articles_with_nothing_to_ask_are_not_sent(
        tmp_path: Path) -> None:
    from extractor.assembly.ask import questions_of

    read = {"id": "all-read", "published": "2024-11-20",
            "text": "Russia launched 60 drones at Ukraine overnight, the air force said. Two people were killed in Kharkiv."}
    (tmp_path / "more.jsonl").write_text(json.dumps(read) + "\n")
    articles = [*ARTICLES, read]
    expected = [a for a in articles if questions_of(a["text"], _published(a)).candidates]
    assert 0 < len(expected) < len(articles)
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=lambda body: answer({"answers": {}}, form="json")) as server:
        submitted = submit(server, state, "--prompt", "ask", inputs=(SEEDS, str(tmp_path / "more.jsonl")))
        assert submitted.exit_code == 0, submitted.output
        lines = [json.loads(line) for line in (state / "requests-001.jsonl").read_text().splitlines()]
        wait_finished(server)
        collected = run("collect", "--state", state, "--output", out)
    assert len(lines) == len(expected)
    assert f"{len(articles) - len(expected)} with nothing to ask" in submitted.output
    assert all("Answers" in json.dumps(line["body"]) and "[[" in line["body"]["messages"][-1]["content"]
               for line in lines), "the ask strategy's request, not the codebook's"
    assert all(line["body"]["max_tokens"] < 2048 for line in lines), "bounded by its questions, as a live call is"
    assert collected.exit_code == 0, collected.output
    records = by_id(out)
    assert {r["status"] for r in records.values()} == {"ok"} and len(records) == len(articles)
    assert records["all-read"]["usage"]["prompt_tokens"] == 0 and records["all-read"]["events"]
    assert records["all-read"]["cached"] is False, "answered without a request, not from the cache"


def _published(article: dict[str, Any]) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(article["published"][:10]) if article.get("published") else None


def test_requests_are_split_within_the_file_limits(tmp_path: Path) -> None:
    with FakeLLMServer(responder=valid_responder) as server:
        by_count = submit(server, tmp_path / "a", "--max-requests-per-file", "2")
        line_size = max(len(line) for line in (tmp_path / "a" / "requests-001.jsonl").read_bytes().splitlines(True))
        by_bytes = submit(server, tmp_path / "b", "--max-file-bytes", str(line_size + 10))
        wait_finished(server)
        collected = run("collect", "--state", tmp_path / "a", "--output", tmp_path / "out.jsonl")
    assert by_count.exit_code == 0 and "5 requests in 3 batches" in by_count.output
    sizes = [len(b["custom_ids"]) for b in json.loads((tmp_path / "a" / "state.json").read_text())["batches"]]
    assert sizes == [2, 2, 1]
    assert by_bytes.exit_code == 0 and "in 5 batches" in by_bytes.output
    assert collected.exit_code == 0 and len(by_id(tmp_path / "out.jsonl")) == 5


def test_a_request_larger_than_a_file_is_an_input_error(tmp_path: Path) -> None:
    with FakeLLMServer(responder=valid_responder) as server:
        result = submit(server, tmp_path / "state", "--max-file-bytes", "100")
        wait_finished(server)
        run("collect", "--state", tmp_path / "state", "--output", tmp_path / "out.jsonl")
    assert result.exit_code == 2 and "more than a batch file may hold" in result.output
    records = by_id(tmp_path / "out.jsonl")
    assert len(records) == 5
    assert all(r["status"] == "error" and r["errors"][0].startswith("input_too_long:") for r in records.values())


def _failures_first() -> dict[str, Callable[[], Spec]]:
    ungrounded = extraction(event(weapons=[], places=[], damage=[], killed=figure(2, "words that are not there")))
    return {ARTICLES[1]["id"]: lambda: answer(ungrounded), ARTICLES[2]["id"]: lambda: server_error(500),
            ARTICLES[3]["id"]: lambda: context_length_exceeded()}


def test_invalid_and_failed_lines_are_recorded_with_reasons(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=scripted(_failures_first())) as server:
        submit(server, state)
        wait_finished(server)
        shown = run("status", "--state", state)
        collected = run("collect", "--state", state, "--output", out)
        assert server.count(CHAT_PATH) == 0
    assert "3 completed\t2 failed\t5 total" in shown.output
    assert collected.exit_code == 1  # error records, as extract's exit code
    records = by_id(out)
    invalid = records[ARTICLES[1]["id"]]
    assert invalid["status"] == "invalid" and invalid["events"] == []
    assert any("evidence" in e for e in invalid["errors"]) and invalid["usage"]["completion_tokens"] > 0
    assert records[ARTICLES[2]["id"]]["errors"][0].startswith("server_error:")
    assert records[ARTICLES[3]["id"]]["errors"][0].startswith("input_too_long:")
    assert [records[a["id"]]["status"] for a in ARTICLES] == ["ok", "invalid", "error", "error", "ok"]


def test_requeue_runs_failures_live_with_reasks(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=scripted(_failures_first())) as server:
        submit(server, state)
        wait_finished(server)
        collected = run("collect", "--state", state, "--output", out, "--requeue")
        live = server.count(CHAT_PATH)
    assert collected.exit_code == 0, collected.output
    assert "3 requeued live" in collected.output
    assert live == 3
    records = by_id(out)
    assert all(r["status"] == "ok" for r in records.values()) and len(records) == 5


def test_collect_twice_adds_nothing(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=valid_responder) as server:
        submit(server, state)
        wait_finished(server)
        first = run("collect", "--state", state, "--output", out)
        second = run("collect", "--state", state, "--output", out)
    assert first.exit_code == 0 and second.exit_code == 0
    assert "5 already done" in second.output and "0 ok" in second.output
    assert len(read_jsonl(out)) == 5


@pytest.mark.slow
def test_collect_from_a_fresh_process_needs_only_the_state(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=valid_responder) as server:
        submit(server, state)
        wait_finished(server)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        code = "import sys; from extractor.cli.batch import batch; batch(sys.argv[1:])"
        done = subprocess.run(
            [sys.executable, "-c", code, "collect", "--state", str(state), "--output", str(out)],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
        )
        status = subprocess.run([sys.executable, "-c", code, "status", "--state", str(state)],
                                capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "5 ok" in done.stderr
    assert status.returncode == 0 and "5 completed" in status.stdout
    assert {r["status"] for r in read_jsonl(out)} == {"ok"}


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_batch_body_equals_the_interactive_request_body(tmp_path: Path, mode: str) -> None:
    article = tmp_path / "one.jsonl"
    article.write_text(json.dumps(ARTICLES[0]) + "\n")
    with FakeLLMServer(responder=valid_responder) as server:
        live = CliRunner().invoke(main, ["extract", str(article), "--model", "m1", "--base-url", server.base_url,
                                         "--mode", mode, "--no-cache"])
        assert live.exit_code == 0, live.output
        sent = next(r.body for r in server.requests if r.path == CHAT_PATH)
        result = submit(server, tmp_path / "state", "--mode", mode, inputs=(str(article),))
        assert result.exit_code == 0, result.output
        upload = next(meta for meta, _ in server.batch.files.values() if meta["purpose"] == "batch")
        uploaded = server.batch.files[upload["id"]][1]
    line = json.loads(uploaded.decode())
    assert line["custom_id"] == ARTICLES[0]["id"]
    assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
    assert line["body"] == sent


def test_a_later_interactive_run_is_served_from_cache(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=valid_responder) as server:
        submit(server, state)
        wait_finished(server)
        run("collect", "--state", state, "--output", out)
        live = CliRunner().invoke(main, ["extract", SEEDS, "--model", "m1", "--base-url", server.base_url])
        assert server.count(CHAT_PATH) == 0
    assert live.exit_code == 0, live.output
    records = [json.loads(line) for line in live.stdout.splitlines() if line.startswith("{")]
    assert len(records) == 5 and all(r["cached"] and r["status"] == "ok" for r in records)
    assert [r["events"] for r in records] == [by_id(out)[r["id"]]["events"] for r in records]


def test_cached_articles_are_not_submitted_and_are_still_recorded(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(ARTICLES[0]) + "\n")
    with FakeLLMServer(responder=valid_responder) as server:
        CliRunner().invoke(main, ["extract", str(one), "--model", "m1", "--base-url", server.base_url])
        result = submit(server, tmp_path / "state")
        wait_finished(server)
        collected = run("collect", "--state", tmp_path / "state", "--output", tmp_path / "out.jsonl")
    assert "4 requests in 1 batches, 1 answered from cache" in result.output
    records = by_id(tmp_path / "out.jsonl")
    assert len(records) == 5 and records[ARTICLES[0]["id"]]["cached"] is True
    assert collected.exit_code == 0


def test_submitting_twice_to_one_state_refuses(tmp_path: Path) -> None:
    with FakeLLMServer(responder=valid_responder) as server:
        submit(server, tmp_path / "state")
        again = submit(server, tmp_path / "state")
        creates = sum(1 for r in server.requests if r.path == "/v1/batches" and r.method == "POST")
    assert again.exit_code == 2 and "already holds 1 submitted batches" in again.output
    assert creates == 1


def test_an_interrupted_submit_is_finished_not_repeated(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with FakeLLMServer(responder=valid_responder) as server:
        submit(server, state, "--max-requests-per-file", "3")
        saved = json.loads((state / "state.json").read_text())
        saved["batches"][1].update(batch_id=None, input_file_id=None)  # as if killed before the second
        (state / "state.json").write_text(json.dumps(saved))
        resumed = submit(server, state)
        creates = sum(1 for r in server.requests if r.path == "/v1/batches" and r.method == "POST")
    assert resumed.exit_code == 0 and "interrupted submit (1 of 2 batches created)" in resumed.output
    assert creates == 3
    assert all(b["batch_id"] for b in json.loads((state / "state.json").read_text())["batches"])


def test_a_missing_state_dir_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for command in (["status"], ["collect", "--output", str(tmp_path / "o.jsonl")]):
        result = run(*command, "--state", tmp_path / "nowhere")
        assert result.exit_code == 2
        assert result.output.strip().count("\n") == 0 and "no batch state in" in result.output


def test_running_and_cancelled_batches(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out.jsonl"
    with FakeLLMServer(responder=valid_responder, batch_step=0.5) as server:
        submit(server, state)
        early = run("collect", "--state", state, "--output", out)
        written_early = out.read_text()
        batch_id = json.loads((state / "state.json").read_text())["batches"][0]["batch_id"]
        server.batch.cancel(batch_id)
        wait_finished(server)
        shown = run("status", "--state", state)
        dead = run("collect", "--state", state, "--output", out)
        requeued = run("collect", "--state", state, "--output", out, "--requeue")
    assert early.exit_code == 0 and "1 batches still running" in early.output and written_early == ""
    assert "cancelled" in shown.output
    assert dead.exit_code == 1
    assert [line for line in dead.output.splitlines() if line.startswith("error:")] == [
        f"error: batch {batch_id} cancelled: no reason given"
    ]
    assert "5 without an answer" in dead.output
    assert requeued.exit_code == 0 and "5 requeued live" in requeued.output
    assert len(by_id(out)) == 5


def test_custom_ids_are_unique_and_safe() -> None:
    taken: set[str] = set()
    ids = [custom_id_for(i, taken) for i in ["a1", "a1", "news/2024 report?", "x" * 100]]
    assert ids[0] == "a1" and ids[1] != "a1" and len(set(ids)) == 4
    assert all(len(i) <= 64 and all(c.isalnum() or c in "_.:-" for c in i) for i in ids)
