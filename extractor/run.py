"""A run over many articles: resumable output, progress, and what to tell the user.

The CLI's ``extract`` is ``run_extract`` plus option parsing, and ``batch
collect`` is ``run_articles`` with a batch's answers as the source. The
output file is the run's memory: records are appended as they finish, and a
rerun with the same file sends only the articles that have no record yet.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from extractor.articles import Article, read_articles
from extractor.clock import REAL_CLOCK, Clock
from extractor.errors import ConfigError, InputError, OutputError
from extractor.output import sqlite
from extractor.output.formats import DATABASE
from extractor.output.lock import output_lock
from extractor.output.records import RecordWriter
from extractor.output.resume import done_ids
from extractor.output.sink import FileSink
from extractor.pipeline import AnswerSource, ExtractionResult, extract_stream
from extractor.settings import Settings

Item = Article | InputError | ExtractionResult


@dataclass
class RunSummary:
    """Counts a run reports at the end and turns into an exit code."""

    statuses: dict[str, int] = field(default_factory=lambda: {"ok": 0, "invalid": 0, "error": 0})
    input_errors: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: int = 0

    @property
    def written(self) -> int:
        return sum(self.statuses.values())

    def add(self, result: ExtractionResult) -> None:
        self.statuses[result.status] += 1
        self.cached += int(result.cached)
        self.prompt_tokens += result.usage.prompt_tokens
        self.completion_tokens += result.usage.completion_tokens

    @property
    def failed(self) -> bool:
        return bool(self.statuses["error"] or self.statuses["invalid"])

    @property
    def exit_code(self) -> int:
        if self.input_errors:
            return 2
        return 1 if self.failed else 0

    def line(self) -> str:
        s = self.statuses
        parts = [f"{s['ok']} ok", f"{s['invalid']} invalid", f"{s['error']} error"]
        if self.skipped:
            parts.append(f"{self.skipped} already done")
        parts.append(f"{self.cached} from cache")
        parts.append(f"tokens {self.prompt_tokens} in / {self.completion_tokens} out")
        return ", ".join(parts)


def run_extract(
    inputs: Iterable[str],
    settings: Settings,
    *,
    published: dt.date | None = None,
    encoding: str | None = None,
    **options: Any,
) -> RunSummary:
    """Extract from every input (files, directories, ``-``), writing each record as soon as it is done.

    The inputs are listed before the output is opened, and the output is never one of them.
    """
    output = options.get("output")
    articles = read_articles(inputs, published, encoding, exclude=[output] if output is not None else ())
    return run_articles(articles, settings, **options)


def run_articles(
    items: Iterable[Item],
    settings: Settings,
    *,
    output: Path | None = None,
    fmt: str = "jsonl",
    retry_errors: bool = False,
    stdout: TextIO | None = None,
    warn: Callable[[str], None] | None = None,
    source: AnswerSource | None = None,
    clock: Clock = REAL_CLOCK,
) -> RunSummary:
    """Results for ``items`` written as they finish; JSONL to ``output`` is appended to and resumed.

    Other formats to a file replace it; without ``output`` records go to ``stdout``.
    """
    warn = warn or (lambda message: print(message, file=sys.stderr))
    summary = RunSummary()
    resumable = output is not None and fmt == "jsonl"

    def on_input_error(error: InputError) -> None:
        summary.input_errors += 1
        warn(f"error: {error}")

    with _held(output):
        if fmt == DATABASE:
            return _run_into_database(items, settings, output, retry_errors, summary, on_input_error, source, clock)
        skip = done_ids(output, retry_errors) if resumable and output else set()
        summary.skipped = len(skip)
        stream = extract_stream(items, settings, skip_ids=skip, on_input_error=on_input_error, source=source,
                                clock=clock)
        with _open_output(output, resumable, stdout) as handle:
            writer = RecordWriter(handle, fmt)
            try:
                asyncio.run(_drain(stream, summary, writer))
                writer.close()
            except OutputError as exc:
                then = ("rerun with the same --output to resume" if resumable
                        else f"rerun: a {fmt} output is written again from the start")
                raise OutputError(f"{exc}; {summary.written} records of this run are safely written; fix that "
                                  f"(free space, permissions) and {then}") from None
    return summary


def _run_into_database(
    items: Iterable[Item], settings: Settings, output: Path | None, retry_errors: bool, summary: RunSummary,
    on_input_error: Callable[[InputError], None], source: AnswerSource | None, clock: Clock,
) -> RunSummary:
    """Results committed to a database one article at a time; a rerun with the same file resumes from it."""
    if output is None:
        raise ConfigError("--format sqlite writes a database file: give --output FILE.db")
    writer = sqlite.DatabaseWriter(output)
    try:
        skip = sqlite.done_ids(writer.connection, retry_errors)
        summary.skipped = len(skip)
        stream = extract_stream(items, settings, skip_ids=skip, on_input_error=on_input_error,
                                source=source, clock=clock)
        asyncio.run(_drain(stream, summary, writer))
    finally:
        writer.close()
    return summary


@contextmanager
def _held(output: Path | None) -> Iterator[None]:
    """The output's lock for the whole run (resume included): one writer per file."""
    if output is None:
        yield
        return
    with output_lock(output):
        yield


@contextmanager
def _open_output(output: Path | None, append: bool, stdout: TextIO | None) -> Iterator[Any]:
    if output is None:
        yield stdout or sys.stdout
        return
    sink = FileSink(output, append=append)
    try:
        yield sink
    finally:
        sink.close()


async def _drain(stream: Any, summary: RunSummary, writer: RecordWriter | sqlite.DatabaseWriter) -> None:
    with _progress() as advance:
        async for result in stream:
            writer.write(result.to_record(), result.article.text if result.article else None)
            summary.add(result)
            advance(result)


class _progress:
    """A progress line on stderr when it is a terminal; nothing otherwise."""

    def __enter__(self) -> Callable[[ExtractionResult], None]:
        self._bar: Any = None
        if not sys.stderr.isatty():
            return lambda result: None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            SpinnerColumn(), TextColumn("{task.completed} articles"), TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(), transient=True, console=stderr_console(),
        )
        self._bar.start()
        task = self._bar.add_task("extract", total=None, last="")
        return lambda result: self._bar.update(task, advance=1, last=f"{result.id}: {result.status}")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)
