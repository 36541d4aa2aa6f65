"""Submitting articles to a Batch API.

``submit`` writes each article's request (the body an interactive call would
send) into files within the provider's limits, uploads them, creates one
batch per file and records everything in a state directory (see ``state``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from extractor.articles import Article, read_articles
from extractor.batch.provider import TRANSFER_TIMEOUT, batch_api, batch_client, settings_for, state_settings
from extractor.batch.requests import (
    CHAT_ENDPOINT,
    MAX_FILE_BYTES,
    MAX_REQUESTS_PER_FILE,
    RequestFiles,
    custom_id_for,
    request_line,
)
from extractor.batch.state import (
    ARTICLES_FILE,
    BatchEntry,
    BatchState,
    Rejected,
    StoredArticle,
    article_record,
    load_state,
    save_state,
    state_path,
)
from extractor.errors import ConfigError, InputError, Reason
from extractor.llm.structured import request_body
from extractor.output.records import record_line
from extractor.pipeline import Extractor
from extractor.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class SubmitSummary:
    """What submit did, and the exit code it means."""

    requests: int = 0
    batches: int = 0
    cached: int = 0
    input_errors: int = 0
    resumed: bool = False
    unasked: int = 0  # articles the strategy leaves nothing to ask about (ask): no request, answered at collect

    @property
    def exit_code(self) -> int:
        return 2 if self.input_errors else 0

    def line(self) -> str:
        verb = "resumed: created the remaining batches" if self.resumed else "submitted"
        unasked = f", {self.unasked} with nothing to ask" if self.unasked else ""
        return (f"{verb}: {self.requests} requests in {self.batches} batches, {self.cached} answered from cache"
                f"{unasked}, {self.input_errors} input errors")


# ------------------------------------------------------------------- submit


class _Planner:
    """Turns articles into request lines and articles.jsonl records, one at a time."""

    def __init__(self, settings: Settings, state: BatchState, files: RequestFiles, sink: IO[str],
                 warn: Callable[[str], None]) -> None:
        self.settings, self.state, self.files, self.sink, self.warn = settings, state, files, sink, warn
        self.extractor = Extractor(settings)
        self.summary = SubmitSummary()
        self._taken: set[str] = set()

    def add(self, item: Article | InputError) -> None:
        if isinstance(item, InputError):
            self._reject(item)
            return
        request = self.extractor.request_for(item)
        question = self.extractor.question(item, request)
        stored = StoredArticle(item, custom_id_for(item.id, self._taken), question.cache_key)
        known = self.extractor.known(item, question)
        if known is not None:  # answered at collect without a request
            self.state.cached.append(stored.custom_id)
            if known[1]:
                self.summary.cached += 1
            else:
                self.summary.unasked += 1
        else:
            line = request_line(stored.custom_id,
                                request_body(self.settings, request["messages"], question.answer_format, item))
            if not self.files.fits(line):
                message = f"{item.origin}: the request is {len(line)} bytes, more than a batch file may hold"
                self._reject(InputError(message, article_id=item.id, reason=Reason.INPUT_TOO_LONG))
                return
            self.files.add(stored.custom_id, line)
            self.summary.requests += 1
        self.sink.write(record_line(article_record(stored)))

    def _reject(self, error: InputError) -> None:
        self.summary.input_errors += 1
        self.warn(f"error: {error}")
        if error.article_id is not None:
            self.state.rejected.append(Rejected(error.article_id, error.reason, str(error)))

    def close(self) -> None:
        self.files.close()
        self.extractor.cache.close()


def submit_batches(
    inputs: Iterable[str],
    settings: Settings,
    state_dir: Path,
    *,
    published: dt.date | None = None,
    max_requests: int = MAX_REQUESTS_PER_FILE,
    max_bytes: int = MAX_FILE_BYTES,
    warn: Callable[[str], None] = log.warning,
) -> SubmitSummary:
    """Plan, upload and create the batches for every article in ``inputs``.

    A state directory is submitted once: a second submit refuses, unless the
    first was interrupted, in which case it only creates the batches that
    are missing (INPUTS are not read again).
    """
    if settings.is_rules:
        raise ConfigError("batch needs a language model (--model, with OPENAI_API_KEY or --base-url); "
                          "the offline 'rules' model runs with 'extractor extract'")
    if state_path(state_dir).exists():
        return _resume(state_dir, warn)
    state_dir.mkdir(parents=True, exist_ok=True)
    state = BatchState(settings=state_settings(settings, None))
    with (state_dir / ARTICLES_FILE).open("w", encoding="utf-8") as sink:
        planner = _Planner(settings, state, RequestFiles(state_dir, max_requests, max_bytes), sink, warn)
        try:
            for item in read_articles(inputs, published, exclude=[state_dir]):
                planner.add(item)
        finally:
            planner.close()
    state.settings["prompt_version"] = planner.extractor.prompt_version
    state.batches = [BatchEntry(f.path.name, f.custom_ids) for f in planner.files.files]
    save_state(state_dir, state)
    create_batches(state_dir, state, settings)
    planner.summary.batches = len(state.batches)
    return planner.summary


def _resume(state_dir: Path, warn: Callable[[str], None]) -> SubmitSummary:
    state = load_state(state_dir)
    if state.created == len(state.batches):
        raise ConfigError(
            f"{state_dir} already holds {len(state.batches)} submitted batches; see 'extractor batch status "
            f"--state {state_dir}', or submit new work with another --state"
        )
    warn(f"note: {state_dir} holds an interrupted submit ({state.created} of {len(state.batches)} batches "
         "created); creating the rest, INPUTS are not read again")
    create_batches(state_dir, state, settings_for(state))
    return SubmitSummary(requests=state.submitted, batches=len(state.batches), cached=len(state.cached),
                         resumed=True)


def create_batches(state_dir: Path, state: BatchState, settings: Settings) -> None:
    """Upload each request file and create its batch, saving the state after every step."""
    client = batch_client(settings)
    try:
        for entry in state.batches:
            if entry.batch_id is not None:
                continue
            with batch_api():
                if entry.input_file_id is None:
                    with (state_dir / entry.file).open("rb") as handle:
                        uploaded = client.files.create(file=(entry.file, handle), purpose="batch",
                                                       timeout=TRANSFER_TIMEOUT)
                    entry.input_file_id = uploaded.id
                    save_state(state_dir, state)
                created = client.batches.create(input_file_id=entry.input_file_id, endpoint=CHAT_ENDPOINT,
                                                completion_window="24h", metadata={"extractor_file": entry.file})
            entry.batch_id = created.id
            save_state(state_dir, state)
    finally:
        client.close()
