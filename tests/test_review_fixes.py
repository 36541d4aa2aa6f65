"""Behaviour found wanting in review, each pinned by a test that fails without its fix."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakeserver import CHAT_PATH, FakeLLMServer, answer, rate_limited, raw, refusal, truncated
from helpers import ARTICLE, event, extract_via, extraction, figure

from extractor import extract_many
from extractor.cache import clear_cache
from extractor.cli import main
from extractor.errors import FatalModelError
from extractor.pipeline import ExtractionResult, Extractor, extract_stream
from extractor.settings import resolve_settings
from extractor.llm.throttle import Bucket


def test_cache_clear_removes_only_the_caches_own_files(tmp_path: Path) -> None:
    (tmp_path / "cache.db").write_bytes(b"not a database" * 64)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "x.val").write_text("{}", encoding="utf-8")
    clear_cache(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_long_retry_after_fails_its_article_without_stalling_the_others(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(rate_limited(retry_after=120))
    llm_server.responder = lambda body: answer(extraction(event()))
    started = time.monotonic()
    results = list(extract_many([ARTICLE, ARTICLE + " Second."], base_url=llm_server.base_url, model="m",
                                use_cache=False, concurrency=1, max_retry_wait=1.0))
    assert sorted(r.status for r in results) == ["error", "ok"]
    assert time.monotonic() - started < 10


def test_the_token_bucket_charges_a_large_request_in_full() -> None:
    bucket = Bucket(per_minute=60_000)  # 1,000 tokens a second
    assert bucket.wait_for(1_000) == 0.0
    assert bucket.wait_for(5_000) == pytest.approx(5.0, abs=0.05)


def test_a_repeated_id_across_inputs_is_an_error_naming_it_and_nothing_is_lost(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(f"Drones hit Sumy overnight ({folder}).", encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "a"), str(tmp_path / "b"), "-m", "rules"])
    assert result.exit_code == 2
    assert "repeats an earlier article's" in result.stderr and "b/story.txt" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_tokens_of_refusals_and_truncations_are_counted(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer({"events": [{"role": "x"}]}, usage=(100, 10)), refusal())
    refused = extract_via(llm_server)
    assert refused.errors[0].startswith("refused")
    assert refused.usage.prompt_tokens > 100  # the invalid answer and the refusal both cost
    llm_server.enqueue(truncated(extraction(event())))
    cut = extract_via(llm_server)
    assert cut.errors[0].startswith("truncated") and cut.usage.completion_tokens > 0


def test_instructions_cannot_leak_through_a_figures_source(llm_server: FakeLLMServer) -> None:
    seen: dict[str, str] = {}

    def leaky_then_clean(body: dict[str, Any]) -> Any:
        seen.setdefault("system", body["messages"][0]["content"])
        if llm_server.count(CHAT_PATH) == 1:
            return answer(extraction(event(killed=figure(2, "Two people were killed in Kharkiv", source=seen["system"][:300]))))
        return answer(extraction(event()))

    llm_server.responder = leaky_then_clean
    result = extract_via(llm_server)
    assert result.status == "ok" and llm_server.count(CHAT_PATH) == 2
    assert seen["system"][:80] not in json.dumps(result.to_record())


def test_results_finished_alongside_a_fatal_error_are_still_yielded(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_extract(self: Extractor, article: Any) -> ExtractionResult:
        await asyncio.sleep(0.01)
        if article.id == "2":
            raise FatalModelError("bad key")
        return ExtractionResult(id=article.id, model="m", prompt_version=None, status="ok")

    monkeypatch.setattr(Extractor, "extract", fake_extract)

    async def collect() -> list[str]:
        seen: list[str] = []
        with pytest.raises(FatalModelError):
            async for result in extract_stream(
                (_article(str(i)) for i in range(4)), resolve_settings(model="rules", concurrency=4)
            ):
                seen.append(result.id)
        return seen

    assert sorted(asyncio.run(collect())) == ["0", "1", "3"]


def _article(key: str) -> Any:
    from extractor.articles import Article

    return Article(id=key, text="Drones hit Sumy.")


def test_stopping_extract_many_early_closes_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    original = Extractor.close

    async def counting_close(self: Extractor) -> None:
        closed.append(True)
        await original(self)

    monkeypatch.setattr(Extractor, "close", counting_close)
    for _ in extract_many(["Drones hit Sumy."] * 5, model="rules", concurrency=1):
        break
    assert closed == [True]


def test_evals_accepts_a_datetime_published_as_extract_does(tmp_path: Path) -> None:
    text = "Russian drones struck Kharkiv overnight, killing two people."
    (tmp_path / "articles.jsonl").write_text(json.dumps({"id": "x", "text": text, "published": "2025-11-14T06:00:00Z"}) + "\n")
    (tmp_path / "gold.jsonl").write_text(json.dumps({"id": "x", "events": []}) + "\n")
    result = CliRunner().invoke(main, ["evals", "--dataset", str(tmp_path), "-m", "rules"])
    assert result.exit_code == 0, result.output


def test_output_pointing_at_a_directory_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["extract", "-", "-m", "rules", "-o", str(tmp_path)], input="Drones hit Sumy.")
    assert result.exit_code == 2 and "is a directory" in result.stderr


def test_an_invalid_article_makes_the_exit_code_1(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    llm_server.responder = lambda body: raw("not json at all")
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "a.txt"), "--base-url", llm_server.base_url,
                                       "-m", "m", "--mode", "json", "--max-retries", "0"])
    assert json.loads(result.stdout)["status"] == "invalid" and result.exit_code == 1
