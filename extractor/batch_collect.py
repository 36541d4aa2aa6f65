"""Collecting finished batches into the records ``extract`` writes.

Each answer is validated like a live one (``batch_answers``), written to the
output file as an ok / invalid / error record (appended; ids already in the
file are skipped, so collecting twice adds nothing), and a valid answer is
stored in the answer cache under the key submit computed for its request,
the key a live call for the same article uses, so a later ``extract`` is a
cache hit. Batches still running are left for a later collect.

Articles with no answer (their batch failed, expired, was cancelled or never
created) are reported and left without a record; with ``--requeue`` they,
and the articles whose answer is invalid or an error, go through the live
pipeline instead, with its re-asks. A record once written is final, as with
``extract``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.articles import Article
from extractor.batch import batch_api, batch_client, settings_for
from extractor.batch_answers import CompletionReader
from extractor.batch_state import BatchState, StoredArticle, load_state, read_stored_articles
from extractor.batch_status import BatchStatus, fetch_status
from extractor.cache import cache_key
from extractor.errors import InvalidOutputError, ModelError
from extractor.llm import ModelAnswer
from extractor.output import JsonlAppender, done_ids
from extractor.pipeline import ExtractionResult, Extractor, extract_stream
from extractor.run import RunSummary

log = logging.getLogger(__name__)


@dataclass
class CollectSummary(RunSummary):
    """A run's counts, plus what collect leaves for later or sends live."""

    pending: int = 0
    dead: int = 0
    unanswered: int = 0
    requeued: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.statuses["error"] or self.unanswered else 0

    def line(self) -> str:
        parts = [super().line()]
        if self.requeued:
            parts.append(f"{self.requeued} requeued live")
        if self.unanswered:
            parts.append(f"{self.unanswered} without an answer (collect --requeue runs them live)")
        if self.pending:
            parts.append(f"{self.pending} batches still running (collect again later)")
        return ", ".join(parts)


class _Collector:
    """One collect run: the state, the output file, the cache, the leftovers."""

    def __init__(self, state_dir: Path, output: Path, requeue: bool, warn: Callable[[str], None],
                 **overrides: Any) -> None:
        self.state = load_state(state_dir)
        self.settings = settings_for(self.state, **overrides)
        self.articles = {s.custom_id: s for s in read_stored_articles(state_dir)}
        self.requeue, self.warn = requeue, warn
        self.done = done_ids(output)
        self.summary = CollectSummary(skipped=len(self.done))
        self.extractor = Extractor(self.settings)
        self.reader = CompletionReader(self.settings)
        self.sink = JsonlAppender(output)
        self.leftovers: dict[str, Article] = {}
        self.from_cache: list[Article] = []
        self._check_prompt()

    def _check_prompt(self) -> None:
        submitted = self.state.settings.get("prompt_version")
        if submitted != self.extractor.prompt_version:
            self.warn(f"note: prompt {self.settings.prompt!r} changed since submit ({submitted} -> "
                      f"{self.extractor.prompt_version}); answers are recorded but not cached, and requeued "
                      "articles use the new prompt")

    def emit(self, result: ExtractionResult) -> None:
        self.sink.write(result.to_record())
        self.summary.add(result)
        self.done.add(result.id)

    def pending(self, stored: StoredArticle) -> bool:
        return stored.article.id not in self.done and stored.article.id not in self.leftovers

    def rejected(self) -> None:
        """Articles submit could not send get their error record, as extract gives them."""
        for item in self.state.rejected:
            if item["id"] not in self.done:
                self.emit(self._result(item["id"], "error", errors=[item["error"]]))

    def cached(self) -> None:
        """Articles answered from the cache at submit go through the pipeline's cache path."""
        for custom_id in self.state.cached:
            stored = self.articles[custom_id]
            if not self.pending(stored):
                continue
            if self._still_cached(stored):
                self.from_cache.append(stored.article)
            else:
                self.leftovers[stored.article.id] = stored.article

    def _still_cached(self, stored: StoredArticle) -> bool:
        return self.extractor.cached(stored.article, stored.cache_key) is not None

    def batch(self, client: Any, status: BatchStatus) -> None:
        """Record the answers of one finished batch; leave the rest for later or for requeue."""
        if status.pending:
            self.summary.pending += 1
            self.warn(f"note: batch {status.entry.batch_id} is {status.status} "
                      f"({status.completed + status.failed} of {status.total} done); collect again later")
            return
        if status.dead:
            self.summary.dead += 1
            self.warn(f"error: {status.problem()}")
        lines = download_lines(client, status)
        for custom_id in status.entry.custom_ids:
            stored = self.articles[custom_id]
            if not self.pending(stored):
                continue
            line = lines.get(custom_id)
            if line is None:
                self.leftovers[stored.article.id] = stored.article
            else:
                self.answer(stored, line)

    def answer(self, stored: StoredArticle, line: dict[str, Any]) -> None:
        result, answer = self._read(stored, line)
        if result.status != "ok" and self.requeue:
            self.leftovers[stored.article.id] = stored.article
            return
        if answer is not None and self._cacheable(stored):
            self.extractor.cache.set(stored.cache_key, {"answer": answer.answer, "usage": answer.usage.to_dict()})
        self.emit(result)

    def _read(self, stored: StoredArticle, line: dict[str, Any]) -> tuple[ExtractionResult, ModelAnswer | None]:
        started = time.perf_counter()
        try:
            answer = self.reader.answer(line, stored.article.text)
        except InvalidOutputError as exc:
            return self._result(stored.article.id, "invalid", started, errors=exc.errors, usage=exc.usage), None
        except ModelError as exc:
            errors = [f"{exc.reason}: {exc}"]
            return self._result(stored.article.id, "error", started, errors=errors, usage=exc.usage), None
        result = self._result(stored.article.id, "ok", started, extraction=answer.extraction, usage=answer.usage)
        return result, answer

    def _cacheable(self, stored: StoredArticle) -> bool:
        """Only under the key of the request that was sent, and only if that is still today's key."""
        return cache_key(self.extractor.request_for(stored.article)) == stored.cache_key

    def _result(self, article_id: str, status: Any, started: float | None = None, **kw: Any) -> ExtractionResult:
        if kw.get("usage") is None:
            kw.pop("usage", None)
        seconds = time.perf_counter() - started if started is not None else 0.0
        return ExtractionResult(id=article_id, model=self.settings.model, prompt_version=self.state.settings.get(
            "prompt_version"), status=status, seconds=seconds, **kw)

    async def run_live(self) -> None:
        """Cached articles (always) and leftovers (with --requeue) through the live pipeline."""
        articles = list(self.from_cache)
        if self.requeue:
            articles += self.leftovers.values()
            self.summary.requeued = len(self.leftovers)
        else:
            self.summary.unanswered = len(self.leftovers)
        if articles:
            async for result in extract_stream(articles, self.settings):
                self.emit(result)

    def close(self) -> None:
        self.sink.close()
        self.extractor.cache.close()


def download_lines(client: Any, status: BatchStatus) -> dict[str, dict[str, Any]]:
    """The output and error file lines of a batch, by custom_id (partial for dead batches)."""
    lines: dict[str, dict[str, Any]] = {}
    for file_id in (status.error_file_id, status.output_file_id):
        if not file_id:
            continue
        with batch_api():
            text = client.files.content(file_id, timeout=600.0).text
        for raw in text.splitlines():
            if raw.strip():
                line = json.loads(raw)
                lines[str(line.get("custom_id"))] = line
    return lines


def collect_batches(
    state_dir: Path,
    output: Path,
    *,
    requeue: bool = False,
    warn: Callable[[str], None] = log.warning,
    **overrides: Any,
) -> CollectSummary:
    """Write records for every finished batch of ``state_dir`` to ``output``.

    ``overrides`` are settings that may differ from submit's: ``cache_dir``,
    ``use_cache``, ``concurrency``.
    """
    collector = _Collector(state_dir, output, requeue, warn, **overrides)
    try:
        collector.rejected()
        collector.cached()
        _collect_batches(collector, collector.state)
        asyncio.run(collector.run_live())
    finally:
        collector.close()
    return collector.summary


def _collect_batches(collector: _Collector, state: BatchState) -> None:
    client = batch_client(collector.settings)
    try:
        for entry in state.batches:
            collector.batch(client, fetch_status(client, entry))
    finally:
        client.close()
