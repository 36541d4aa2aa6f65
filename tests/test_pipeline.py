"""The pipeline: articles in, results out, many in flight; what escapes and what does not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from extractor.errors import FatalModelError
from extractor.pipeline import ExtractionResult, Extractor, extract_stream
from extractor.settings import resolve_settings


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
