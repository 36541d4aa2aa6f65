"""Submitting articles to a Batch API and asking how the batches are doing.

The Batch API answers within 24 hours at about half the price of live calls,
which is what a corpus of tens of thousands of articles wants. ``submit``
writes each article's request (the body an interactive call would send) into
files within the provider's limits, uploads them, creates one batch per file
and records everything in a state directory (see ``batch_state``);
``batch_status`` reads that state from any shell; ``batch_collect`` turns the
answers into the same records ``extract`` writes.

Transport retries for the files and batches endpoints are the openai
client's own (a few, honouring Retry-After): nothing else retries these
calls, so the retries do not stack.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from extractor.articles import Article, read_articles
from extractor.batch_requests import (
    CHAT_ENDPOINT,
    MAX_FILE_BYTES,
    MAX_REQUESTS_PER_FILE,
    RequestFiles,
    custom_id_for,
    request_body,
    request_line,
)
from extractor.batch_state import (
    ARTICLES_FILE,
    BatchEntry,
    BatchState,
    StoredArticle,
    article_record,
    load_state,
    save_state,
    state_path,
)
from extractor.cache import cache_key
from extractor.errors import ConfigError, InputError
from extractor.output import record_line
from extractor.pipeline import Extractor
from extractor.settings import Settings, resolve_settings

log = logging.getLogger(__name__)
API_RETRIES = 4
TRANSFER_TIMEOUT = 600.0


@dataclass
class SubmitSummary:
    """What submit did, and the exit code it means."""

    requests: int = 0
    batches: int = 0
    cached: int = 0
    input_errors: int = 0
    resumed: bool = False

    @property
    def exit_code(self) -> int:
        return 2 if self.input_errors else 0

    def line(self) -> str:
        verb = "resumed: created the remaining batches" if self.resumed else "submitted"
        return (f"{verb}: {self.requests} requests in {self.batches} batches, {self.cached} answered from cache, "
                f"{self.input_errors} input errors")


def state_settings(settings: Settings, prompt_version: str | None) -> dict[str, Any]:
    """What shaped the requests; never the key, which is read from the environment each time."""
    return {
        "model": settings.model, "base_url": settings.base_url, "mode": settings.mode, "prompt": settings.prompt,
        "prompt_version": prompt_version, "temperature": settings.temperature, "max_tokens": settings.max_tokens,
        "max_retries": settings.max_retries, "timeout": settings.timeout,
    }


def settings_for(state: BatchState, **overrides: Any) -> Settings:
    """The settings the batches were submitted with, the key from the environment.

    The base URL is the state's even when OPENAI_BASE_URL says otherwise:
    the batches live on the server that created them.
    """
    saved = state.settings
    settings = resolve_settings(
        model=saved["model"], base_url=saved["base_url"], mode=saved["mode"], prompt=saved["prompt"],
        temperature=saved["temperature"], max_tokens=saved["max_tokens"], max_retries=saved["max_retries"],
        timeout=saved["timeout"], **overrides,
    )
    return settings.with_(base_url=saved["base_url"])


def batch_client(settings: Settings) -> Any:
    """A synchronous openai client for the files and batches endpoints."""
    import openai

    return openai.OpenAI(api_key=settings.api_key or "no-key-needed", base_url=settings.base_url,
                         max_retries=API_RETRIES, timeout=settings.timeout)


@contextlib.contextmanager
def batch_api() -> Iterator[None]:
    """Turn an openai failure into our ModelError (a bad key is fatal, as for live calls)."""
    import openai

    from extractor.llm import api_error

    try:
        yield
    except openai.APIError as exc:
        raise api_error(exc) from exc


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
        stored = StoredArticle(item, custom_id_for(item.id, self._taken), cache_key(request))
        if self._answered(stored):
            self.state.cached.append(stored.custom_id)
            self.summary.cached += 1
        else:
            line = request_line(stored.custom_id, request_body(self.settings, request["messages"]))
            if not self.files.fits(line):
                message = f"{item.origin}: the request is {len(line)} bytes, more than a batch file may hold"
                self._reject(InputError(message, article_id=item.id), reason="input_too_long")
                return
            self.files.add(stored.custom_id, line)
            self.summary.requests += 1
        self.sink.write(record_line(article_record(stored)))

    def _answered(self, stored: StoredArticle) -> bool:
        """Whether the cache holds an answer that still validates, as the pipeline would use it."""
        return self.extractor.cached(stored.article, stored.cache_key) is not None

    def _reject(self, error: InputError, reason: str = "input") -> None:
        self.summary.input_errors += 1
        self.warn(f"error: {error}")
        if error.article_id is not None:
            self.state.rejected.append({"id": error.article_id, "error": f"{reason}: {error}"})

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
            for item in read_articles(inputs, published):
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
