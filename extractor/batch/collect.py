"""Collecting finished batches: their answers through the pipeline, into the records ``extract`` writes.

Collect is a source of answers, not a second pipeline: it downloads the
output lines of finished batches and runs the articles through
``run.run_articles`` with ``answers.BatchAnswers`` as the source, so each
answer is validated, cached (under the key submit computed for its request,
the key a live call uses, so a later ``extract`` is a cache hit) and recorded
exactly as a live one would be. Records are appended; ids already in the
file are skipped, so collecting twice adds nothing. Batches still running
are left for a later collect.

Articles with no answer (their batch failed, expired, was cancelled or never
created) are reported and left without a record; with ``--requeue`` they,
and the articles whose answer is invalid or an error, are asked of the live
model instead, with its re-asks. A record once written is final, as with
``extract``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.articles import Article
from extractor.batch.answers import BatchAnswers, Line
from extractor.batch.provider import batch_api, batch_client, settings_for
from extractor.batch.state import BatchState, StoredArticle, load_state, read_stored_articles
from extractor.batch.status import BatchStatus, fetch_status
from extractor.errors import Reason
from extractor.output.resume import done_ids
from extractor.pipeline import ExtractionResult, Extractor
from extractor.run import RunSummary, run_articles
from extractor.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class CollectSummary:
    """A run's counts, plus what collect leaves for later or sends live."""

    run: RunSummary = field(default_factory=RunSummary)
    pending: int = 0
    dead: int = 0
    unanswered: int = 0
    requeued: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.run.statuses["error"] or self.unanswered else 0

    def line(self) -> str:
        parts = [self.run.line()]
        if self.requeued:
            parts.append(f"{self.requeued} requeued live")
        if self.unanswered:
            parts.append(f"{self.unanswered} without an answer (collect --requeue runs them live)")
        if self.pending:
            parts.append(f"{self.pending} batches still running (collect again later)")
        return ", ".join(parts)


@dataclass
class _Plan:
    """What one collect sends through the pipeline, and what it leaves."""

    lines: dict[str, Line] = field(default_factory=dict)
    answered: list[Article] = field(default_factory=list)
    leftovers: list[Article] = field(default_factory=list)


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
    state = load_state(state_dir)
    settings = settings_for(state, **overrides)
    stored = {s.custom_id: s for s in read_stored_articles(state_dir)}
    done = done_ids(output)
    summary = CollectSummary()
    _check_prompt(state, settings, warn)
    plan = _plan(state, settings, stored, done, summary, warn)
    summary.unanswered = 0 if requeue else len(plan.leftovers)
    articles = plan.answered + (plan.leftovers if requeue else [])
    live = _live_client(settings) if requeue else None
    source = BatchAnswers(settings, plan.lines, {s.article.id: s.cache_key for s in stored.values()}, live)
    summary.run = run_articles(_items(state, settings, articles), settings, output=output, warn=warn, source=source)
    summary.requeued = source.asked_live
    return summary


def _live_client(settings: Settings) -> Any:
    from extractor.llm.client import ModelClient

    return ModelClient(settings)


def _items(state: BatchState, settings: Settings, articles: list[Article]) -> Iterator[ExtractionResult | Article]:
    """The rejected articles' error records first, then the articles to answer."""
    version = state.settings.get("prompt_version")
    for rejected in state.rejected:
        yield ExtractionResult(rejected.id, settings.model, version, "error",
                               errors=[f"{rejected.reason}: {rejected.message}"], reason=Reason(rejected.reason))
    yield from articles


def _check_prompt(state: BatchState, settings: Settings, warn: Callable[[str], None]) -> None:
    submitted = state.settings.get("prompt_version")
    current = Extractor(settings).prompt_version
    if submitted != current:
        warn(f"note: prompt {settings.prompt!r} changed since submit ({submitted} -> {current}); answers are "
             "recorded but not cached, and requeued articles use the new prompt")


def _plan(state: BatchState, settings: Settings, stored: dict[str, StoredArticle], done: set[str],
          summary: CollectSummary, warn: Callable[[str], None]) -> _Plan:
    """Download finished batches; sort every article not yet recorded into answered or leftover."""
    plan = _Plan()
    extractor = Extractor(settings)
    try:
        for custom_id in state.cached:
            article = stored[custom_id].article
            if article.id not in done:
                answered = extractor.known(article) is not None
                (plan.answered if answered else plan.leftovers).append(article)
    finally:
        extractor.cache.close()
    client = batch_client(settings)
    try:
        for entry in state.batches:
            status = fetch_status(client, entry)
            if _report(status, summary, warn):
                _sort(status, download_lines(client, status), stored, done, plan)
    finally:
        client.close()
    return plan


def _report(status: BatchStatus, summary: CollectSummary, warn: Callable[[str], None]) -> bool:
    """Say what a batch is doing; whether its answers (if any) can be read now."""
    if status.pending:
        summary.pending += 1
        warn(f"note: batch {status.entry.batch_id} is {status.status} "
             f"({status.completed + status.failed} of {status.total} done); collect again later")
        return False
    if status.dead:
        summary.dead += 1
        warn(f"error: {status.problem()}")
    return True


def _sort(status: BatchStatus, lines: dict[str, Line], stored: dict[str, StoredArticle], done: set[str],
          plan: _Plan) -> None:
    for custom_id in status.entry.custom_ids:
        article = stored[custom_id].article
        if article.id in done:
            continue
        line = lines.get(custom_id)
        if line is None:
            plan.leftovers.append(article)
        else:
            plan.lines[article.id] = line
            plan.answered.append(article)


def download_lines(client: Any, status: BatchStatus) -> dict[str, Line]:
    """The output and error file lines of a batch, by custom_id (partial for dead batches)."""
    lines: dict[str, Line] = {}
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
