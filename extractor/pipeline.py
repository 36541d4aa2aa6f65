"""article -> prompt -> answer (cached, from a source) -> validated events -> result.

This is the one module that chains the stages, for every way an answer can
arrive. ``Extractor`` handles one article at a time: it renders the request,
checks the cache, asks its ``AnswerSource`` (the live model client, or a
batch's output lines), writes the cache and turns answer or failure into a
result. ``extract_stream`` runs many with a bounded number in flight, reading
inputs lazily so that memory does not grow with the corpus.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from extractor import assembly
from extractor.articles import Article
from extractor.assembly import answer_format, shown_values
from extractor.cache import AnswerCache, cache_key, canonical_json
from extractor.chunks import CHARS_PER_TOKEN, chunk_articles, merge_events
from extractor.clock import REAL_CLOCK, Clock
from extractor.errors import (
    ContextLengthError,
    FatalModelError,
    InputError,
    InvalidOutputError,
    ModelError,
    Reason,
    TruncatedError,
)
from extractor.grounding import ArticleChecks, EvidenceLocator, validate_extraction
from extractor.guards import RunGuard
from extractor.llm.failures import validation_messages
from extractor.llm.structured import AnswerFormat, ModelAnswer, Question, answer_from
from extractor.prompting import Prompt, load_prompt, render_messages
from extractor.record import Record, Tokens, bounded
from extractor.schema import SCHEMA_VERSION, Extraction, extraction_json_schema
from extractor.settings import Settings
from extractor.usage import Usage, approx_tokens

log = logging.getLogger(__name__)
Status = Literal["ok", "invalid", "error"]
# A rough allowance for the schema and instructions instructor adds to the prompt.
SCHEMA_TOKENS = 1000
#: The fewest tokens of article text a part of a long article may hold.
MIN_CHUNK_TOKENS = 200


class AnswerSource(Protocol):
    """Where answers come from: a live server, or the stored lines of a batch."""

    async def answer(self, question: Question) -> ModelAnswer: ...

    async def close(self) -> None: ...


@dataclass
class ExtractionResult:
    """What became of one article: its events, or why there are none."""

    id: str
    model: str
    prompt_version: str | None
    status: Status
    extraction: Extraction | None = None
    errors: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cached: bool = False
    seconds: float = 0.0
    reason: Reason | None = None
    mode: str | None = None
    encoding: str | None = None  # how the input file was decoded, when it was a file
    raw: str | None = None  # the model's last answer that failed validation
    article: Article | None = None  # the article read, for the record's provenance
    chunks: int | None = None  # the parts a long article was read in; None when read whole
    dropped_figures: int = 0  # figures of a kind outside the codebook's four, dropped from the answer

    @property
    def events(self) -> list[Any]:
        return list(self.extraction.events) if self.extraction else []

    def to_record(self) -> Record:
        """The output record, one JSON line per article, with the article's provenance."""
        article = self.article
        return Record(
            id=self.id, model=self.model, prompt_version=self.prompt_version, status=self.status,
            events=self.events, errors=self.errors,
            usage=Tokens(prompt_tokens=self.usage.prompt_tokens, completion_tokens=self.usage.completion_tokens),
            cached=self.cached, seconds=round(self.seconds, 3), mode=self.mode, encoding=self.encoding,
            raw=bounded(self.raw), chunks=self.chunks, dropped_figures=self.dropped_figures,
            published=article.published if article else None, title=article.title if article else None,
            url=article.url if article else None, source=article.source if article else None,
        )


@cache
def schema_fingerprint(answer_format: str = "codebook") -> str:
    """A hash of the JSON schema the model is asked to fill, made once per process and format."""
    if answer_format == "codebook":
        schema = extraction_json_schema()
    else:
        schema = assembly.answer_format(answer_format).response_model.model_json_schema()
    return hashlib.sha256(canonical_json(schema).encode("utf-8")).hexdigest()[:16]


#: The code that decides whether an answer is accepted and what it becomes: the codebook's models, the checks
#: against the article, the checked answer formats, and every assembler (docs/reliability.md, item 29).
VALIDATING_CODE = ("schema.py", "grounding.py", "llm/structured.py", "assembly", "chunks.py")


@cache
def validator_fingerprint() -> str:
    """A hash of the validating and assembling code, so a change to any of it misses the cache."""
    digest = hashlib.sha256()
    package = resources.files("extractor")
    for name in VALIDATING_CODE:
        found = package.joinpath(name)
        files = sorted((f for f in found.iterdir() if f.name.endswith(".py")), key=lambda f: f.name) \
            if found.is_dir() else [found]
        for file in files:
            digest.update(f"{name}/{file.name}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


class Extractor:
    """Turns articles into results under one set of settings, from one source of answers."""

    def __init__(self, settings: Settings, source: AnswerSource | None = None, clock: Clock = REAL_CLOCK) -> None:
        self.settings = settings
        self.prompt: Prompt | None = None if settings.is_rules else load_prompt(settings.prompt)
        if settings.is_local and source is None:
            from extractor.llm.local import LocalModelSource

            source = LocalModelSource(settings, clock)  # finds the model now; its server starts on first use
        self._source = source
        self._clock = clock
        self._cache: AnswerCache | None = None

    @property
    def prompt_version(self) -> str | None:
        return self.prompt.version if self.prompt else None

    @property
    def cache(self) -> AnswerCache:
        if self._cache is None:
            self._cache = AnswerCache(self.settings.cache_dir, enabled=self.settings.use_cache)
        return self._cache

    @property
    def source(self) -> AnswerSource:
        if self._source is None:
            from extractor.llm.client import ModelClient

            self._source = ModelClient(self.settings, self._clock)
        return self._source

    async def close(self) -> None:
        if self._source is not None:
            await self._source.close()
        if self._cache is not None:
            self._cache.close()

    def result(self, article_id: str, status: Status, started: float | None = None, **kw: Any) -> ExtractionResult:
        seconds = 0.0 if started is None else time.perf_counter() - started
        return ExtractionResult(id=article_id, model=self.settings.model, prompt_version=self.prompt_version,
                                status=status, seconds=seconds, **kw)

    def failure(self, article_id: str, error: ModelError | InputError, started: float | None = None) -> ExtractionResult:
        """The result of an article that got no valid answer: invalid, or an error with its reason."""
        usage = getattr(error, "usage", None) or Usage()
        if isinstance(error, InvalidOutputError):
            return self.result(article_id, "invalid", started, errors=error.errors, usage=usage, reason=error.reason,
                               raw=error.raw)
        return self.result(article_id, "error", started, errors=[error.describe()], usage=usage, reason=error.reason)

    def input_failure(self, error: InputError) -> ExtractionResult | None:
        """A record for an input that names an article but cannot be read."""
        return None if error.article_id is None else self.failure(error.article_id, error)

    async def extract(self, article: Article) -> ExtractionResult:
        """One article's result; only a FatalModelError escapes."""
        result = await self._extract(article)
        result.encoding = article.encoding
        result.article = article
        return result

    async def _extract(self, article: Article) -> ExtractionResult:
        started = time.perf_counter()
        try:
            self._check_length(article)
            if self.settings.is_rules:
                return self.result(article.id, "ok", started, extraction=self._rules(article))
            return await self._extract_llm(article, started)
        except FatalModelError:
            raise
        except ModelError as exc:
            return self.failure(article.id, exc, started)

    def _check_length(self, article: Article) -> None:
        """The input-size guard, for every model: an article past --max-input-tokens is not read, whole
        or in parts (a bound on the time and money one article may take)."""
        # The article's own size counts even when the prompt holds less of it (ask): the offline model reads it.
        estimate = max(self.prompt_tokens(article), approx_tokens(len(article.text)))
        if estimate > self.settings.max_input_tokens:
            raise ContextLengthError(
                f"the article is about {estimate} tokens, more than --max-input-tokens "
                f"{self.settings.max_input_tokens}; split it into smaller articles, or raise --max-input-tokens"
            )

    def _rules(self, article: Article) -> Extraction:
        from extractor.rules import extract_rules

        extraction = extract_rules(article.text, article.published)
        try:
            return validate_extraction(extraction.model_dump(mode="json"), ArticleChecks.of(article.text))
        except ValidationError as exc:
            raise InvalidOutputError("rules output failed validation", errors=validation_messages(exc)) from exc

    def request_for(self, article: Article) -> dict[str, Any]:
        """Everything that changes the answer, as the cache key sees it."""
        assert self.prompt is not None
        s = self.settings
        shown = shown_values(self.prompt.answer, self.prompt.shows_draft, article)
        return {
            "model": s.model,
            "base_url": s.base_url,
            "mode": s.mode,
            "messages": render_messages(self.prompt, article, shown),
            "schema": schema_fingerprint(self.prompt.answer),
            "schema_version": SCHEMA_VERSION,
            "validators": validator_fingerprint(),
            "prompt_version": self.prompt.request_version,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
        }

    def question(self, article: Article, request: dict[str, Any] | None = None) -> Question:
        """The request for one article, as its source of answers is asked it."""
        request = request or self.request_for(article)
        messages = request["messages"]
        assert self.prompt is not None
        return Question(article, messages, ArticleChecks.of(article.text, messages[0]["content"]),
                        cache_key(request), self.answer_format)

    def prompt_tokens(self, article: Article) -> int:
        """A cheap estimate of the prompt's size: four characters a token, plus the schema. A strategy
        whose prompt holds not the article but what it shows instead (``ask``) is measured by that."""
        if self.prompt is None:
            return 0
        if self.answer_format.reads_article:
            shown = len(article.text)
        else:
            shown = sum(len(v or "") for v in shown_values(self.prompt.answer, False, article).values())
        return approx_tokens(len(self.prompt.system) + len(self.prompt.user) + shown) + SCHEMA_TOKENS

    @property
    def answer_format(self) -> AnswerFormat:
        assert self.prompt is not None
        return answer_format(self.prompt.answer, self.prompt.assembler)

    def known(self, article: Article, question: Question | None = None) -> tuple[ModelAnswer, bool] | None:
        """An answer that needs no request, and whether it came from the cache: the answer format's own
        when the article leaves nothing to ask (``settled``), else a cached one. For live runs and for
        batch submit and collect alike."""
        question = question or self.question(article)
        settled = question.answer_format.settled(article)
        if settled is not None:
            return answer_from(settled, question, Usage()), False
        hit = self.cached(article, question)
        return None if hit is None else (hit, True)

    def cached(self, article: Article, question: Question | None = None) -> ModelAnswer | None:
        """A cached answer for the article that still passes every check a fresh one gets.

        The one test of a cache entry.
        """
        question = question or self.question(article)
        hit = self.cache.get(question.cache_key)
        if hit is None:
            return None
        try:
            return answer_from(hit["answer"], question, Usage(**hit.get("usage", {})), hit.get("mode"))
        except (InvalidOutputError, KeyError, TypeError) as exc:
            log.warning("cached answer for %s no longer validates (%s); asking again", article.id, exc)
            return None

    def remember(self, question: Question, answer: ModelAnswer) -> None:
        """Store a validated answer under its request's key: the one cache write."""
        if answer.cacheable:
            entry = {"answer": answer.answer, "usage": answer.usage.to_dict(), "mode": answer.mode}
            self.cache.set(question.cache_key, entry)

    def parts_of(self, article: Article) -> list[Article]:
        """The article as it is asked: whole, or in parts when its prompt passes the chunk window."""
        window = self.settings.chunk_window
        if not window or not self.answer_format.reads_article or self.prompt_tokens(article) <= window:
            return [article]
        room = window - self.prompt_tokens(replace(article, text=""))
        if room < MIN_CHUNK_TOKENS:
            raise ContextLengthError(
                f"--chunk-tokens {window} leaves {max(room, 0)} tokens for the article after the prompt; "
                f"give at least {window - room + MIN_CHUNK_TOKENS}")
        return chunk_articles(article, room * CHARS_PER_TOKEN)

    async def _extract_llm(self, article: Article, started: float) -> ExtractionResult:
        parts = self.parts_of(article)
        if len(parts) > 1:
            return await self._extract_parts(article, parts, started)
        answer, cached = await self._answer(article)
        return self.result(article.id, "ok", started, extraction=answer.extraction, usage=answer.usage,
                           cached=cached, mode=answer.mode, dropped_figures=answer.dropped_figures,
                           errors=[answer.note] if answer.note else [])

    async def _answer(self, part: Article, question: Question | None = None) -> tuple[ModelAnswer, bool]:
        """One request's validated answer, from the cache or the source (then cached), and whether cached."""
        question = question or self.question(part)
        known = self.known(part, question)
        if known is not None:
            return known
        try:
            answer = await self.source.answer(question)
        except (InvalidOutputError, TruncatedError) as exc:
            fallback = question.answer_format.fallback(part)
            if fallback is None:
                raise
            answer = answer_from(fallback, question, getattr(exc, "usage", None) or Usage())
            answer.note = f"the model's answer was not used ({exc}); the offline model's reading stands"
            return answer, False
        self.remember(question, answer)
        return answer, False

    async def _extract_parts(self, article: Article, parts: list[Article], started: float) -> ExtractionResult:
        """A long article read part by part (each part cached as an article of its own), the parts'
        events merged into the article's and checked against the whole text."""
        usage, events, all_cached, mode, dropped = Usage(), [], True, None, 0
        notes: list[str] = []
        questions = [self.question(part) for part in parts]
        for number, (part, question) in enumerate(zip(parts, questions, strict=True), 1):
            try:
                answer, cached = await self._answer(part, question)
            except ModelError as exc:  # named by its part; the parts already answered stay cached
                where = f"part {number} of {len(parts)}"
                if isinstance(exc, InvalidOutputError):
                    exc.errors = [f"{where}: {e}" for e in exc.errors]
                exc.args = (f"{where}: {exc}", *exc.args[1:])
                exc.usage = _summed(usage, getattr(exc, "usage", None))
                raise
            usage.add(answer.usage)
            events += answer.extraction.events
            all_cached, mode = all_cached and cached, answer.mode or mode
            dropped += answer.dropped_figures
            notes += [f"part {number} of {len(parts)}: {answer.note}"] if answer.note else []
        merged = [e.model_dump(mode="json") for e in merge_events(events, EvidenceLocator(article.text))]
        checks = ArticleChecks.of(article.text, questions[0].messages[0]["content"])  # the system prompt
        try:
            extraction = validate_extraction({"events": merged}, checks)
        except ValidationError as exc:
            raise InvalidOutputError("the parts' events did not merge into valid events",
                                     errors=validation_messages(exc), usage=usage) from exc
        return self.result(article.id, "ok", started, extraction=extraction, usage=usage, cached=all_cached,
                           mode=mode, chunks=len(parts), dropped_figures=dropped, errors=notes)


def _summed(done: Usage, more: Usage | None) -> Usage:
    total = Usage()
    total.add(done)
    total.add(more)
    return total


async def extract_stream(
    items: Iterable[Article | InputError | ExtractionResult],
    settings: Settings,
    *,
    skip_ids: frozenset[str] | set[str] = frozenset(),
    on_input_error: Callable[[InputError], None] | None = None,
    source: AnswerSource | None = None,
    clock: Clock = REAL_CLOCK,
) -> AsyncGenerator[ExtractionResult, None]:
    """Results for many articles as they finish, at most ``concurrency`` in flight.

    Articles whose id is in ``skip_ids`` are not sent (a resumed run). Input
    errors become error results when they name an article, and are passed to
    ``on_input_error`` either way; results already decided (the articles a
    batch could not send) pass straight through. A FatalModelError stops the stream at once,
    abandoning work in flight; a reached ``max_cost`` stops starting articles,
    lets those in flight finish, then raises BudgetExceeded. Finished results
    have been yielded either way. ``source`` answers the articles (default:
    the live model).
    """
    extractor = Extractor(settings, source, clock)
    guard = RunGuard.for_settings(settings)
    feed = _Feed(iter(items), skip_ids, extractor, guard, on_input_error)
    pending: set[asyncio.Task[ExtractionResult]] = set()
    try:
        while True:
            for item in feed.take(settings.concurrency - len(pending)):
                if isinstance(item, ExtractionResult):
                    yield item
                else:
                    pending.add(asyncio.ensure_future(extractor.extract(item)))
            if not pending:
                break
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            # Results that finished alongside a fatal error are still handed out first.
            fatal = next((t.exception() for t in done if t.exception() is not None), None)
            for task in done:
                if task.exception() is None:
                    result = task.result()
                    guard.settle(result.id, result.usage.prompt_tokens, result.usage.completion_tokens, result.cached)
                    yield result
                    guard.observe(result.reason)
            if fatal is not None:
                raise fatal
        guard.stop_if_exhausted()
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await extractor.close()


class _Feed:
    """Hands out articles to start, with input failures turned into results."""

    def __init__(self, source: Iterator[Article | InputError | ExtractionResult], skip_ids: frozenset[str] | set[str],
                 extractor: Extractor, guard: RunGuard, on_input_error: Callable[[InputError], None] | None) -> None:
        self.source, self.skip_ids, self.extractor = source, skip_ids, extractor
        self.guard, self.on_input_error = guard, on_input_error

    def take(self, room: int) -> Iterable[Article | ExtractionResult]:
        """Up to ``room`` articles (and any input failures met on the way)."""
        taken = 0
        while taken < room and not self.guard.exhausted:
            item = next(self.source, None)
            if item is None:
                return
            if isinstance(item, InputError):
                failure = self._input_failure(item)
                if failure is not None:
                    yield failure
                continue
            if item.id in self.skip_ids:
                continue
            if isinstance(item, ExtractionResult):
                yield item
                continue
            if not self.guard.admit(item.id, self.extractor.prompt_tokens(item)):
                return
            taken += 1
            yield item

    def _input_failure(self, error: InputError) -> ExtractionResult | None:
        if self.on_input_error is not None:
            self.on_input_error(error)
        failure = self.extractor.input_failure(error)
        return failure if failure is not None and failure.id not in self.skip_ids else None
