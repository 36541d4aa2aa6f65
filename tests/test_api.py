"""The library: extract and extract_many, sync and async, as a Python user calls them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from helpers import seed_articles

from extractor import Extraction, aextract, aextract_many, extract, extract_many
from extractor.errors import ConfigError, InputError
from extractor.pipeline import Extractor


def test_extract_returns_a_result_holding_the_validated_extraction() -> None:
    article = seed_articles()[0]
    result = extract(article["text"], published=article["published"], model="rules")
    assert result.status == "ok" and isinstance(result.extraction, Extraction)
    assert result.events and result.events[0].date == "2025-11-14"  # "overnight" in a 2025-11-14 story


def test_extract_many_takes_texts_records_and_streams_results() -> None:
    records = [{"id": a["id"], "text": a["text"], "published": a["published"]} for a in seed_articles()]
    results = list(extract_many(["Drones hit Kharkiv overnight.", *records], model="rules", concurrency=2))
    assert sorted(r.id for r in results) == sorted(["0", *[a["id"] for a in seed_articles()]])


def test_async_variants_and_a_call_from_inside_a_running_loop() -> None:
    texts = [a["text"] for a in seed_articles()]

    async def main() -> tuple[list[str], str, str]:
        many = [r.status async for r in aextract_many(texts, model="rules")]
        one = await aextract(texts[0], model="rules")
        inside = extract(texts[1], model="rules")  # sync API used inside a loop (a notebook)
        return many, one.status, inside.status

    many, one, inside = asyncio.run(main())
    assert many == ["ok"] * 5 and one == "ok" and inside == "ok"


def test_bad_calls_raise_the_projects_errors() -> None:
    with pytest.raises(InputError, match="empty"):
        extract("   ", model="rules")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        extract("Drones hit Kharkiv.", model="gpt-4.1-mini")
    with pytest.raises(InputError, match="ISO date"):
        extract("Drones hit Kharkiv.", model="rules", published="last Friday")


def test_extract_many_gives_bad_items_an_error_result_instead_of_dropping_them() -> None:
    results = {r.id: r for r in extract_many(["", {"id": "d", "text": "x", "published": "soon"}, "Drones hit Sumy."], model="rules")}
    assert set(results) == {"0", "d", "2"}
    assert results["0"].status == results["d"].status == "error" and results["2"].status == "ok"
    assert "empty" in results["0"].errors[0] and "ISO date" in results["d"].errors[0]


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


def test_a_hand_built_settings_caches_in_the_user_cache_and_takes_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.api import settings_for
    from extractor.settings import Settings

    monkeypatch.chdir(tmp_path)
    assert Settings().cache_dir != Path(".") and Settings().cache_dir.resolve() != tmp_path
    with pytest.raises(ConfigError, match="no API key"):
        settings_for(Settings(model="gpt-4.1-mini"))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert settings_for(Settings(model="gpt-4.1-mini")).base_url == "http://127.0.0.1:9/v1"
    assert settings_for(Settings(model="gpt-4.1-mini", base_url="http://127.0.0.1:8/v1")).base_url.endswith(":8/v1")
