"""The functions a Python user calls: ``extract`` and ``extract_many``, sync and async.

They resolve settings exactly as the CLI does (argument > environment >
default) and run the same pipeline; the CLI is a thin layer over them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping
from contextlib import aclosing
from typing import Any, TypeVar

from extractor.articles import Article, make_article, parse_date, record_to_article
from extractor.errors import InputError
from extractor.pipeline import ExtractionResult, Extractor, extract_stream
from extractor.settings import Settings, check_settings, resolve_settings, with_environment

log = logging.getLogger(__name__)
T = TypeVar("T")
ArticleLike = Article | str | Mapping[str, Any]


def settings_for(settings: Settings | None = None, **options: Any) -> Settings:
    """``settings`` as given (the environment's key and server where it names none), checked as the CLI
    checks its own; else resolved from keyword options and the environment."""
    if settings is not None:
        given = with_environment(settings.with_(**{k: v for k, v in options.items() if v is not None}))
        check_settings(given)
        return given
    return resolve_settings(**options)


def as_article(item: ArticleLike, index: int = 0, published: dt.date | str | None = None) -> Article:
    """An Article from an Article, a plain text, or a record mapping."""
    if isinstance(item, Article):
        return item
    default_date = parse_date(published, "published") if isinstance(published, str) else published
    if isinstance(item, str):
        return make_article(id=str(index), text=item, origin=f"article {index}", published=default_date)
    return record_to_article(item, f"article {item.get('id', index)}", default_date, default_id=str(index))


async def aextract(
    text: str,
    *,
    published: dt.date | str | None = None,
    title: str | None = None,
    id: str = "article",
    settings: Settings | None = None,
    **options: Any,
) -> ExtractionResult:
    """Extract events from one article's text; see ``extract``."""
    article = as_article({"id": id, "text": text, "title": title}, published=published)
    extractor = Extractor(settings_for(settings, **options))
    try:
        return await extractor.extract(article)
    finally:
        await extractor.close()


def extract(
    text: str,
    *,
    published: dt.date | str | None = None,
    title: str | None = None,
    id: str = "article",
    settings: Settings | None = None,
    **options: Any,
) -> ExtractionResult:
    """Extract events from one article's text.

    Options are the settings' names (``model``, ``base_url``, ``prompt``,
    ``mode``, ``temperature``, ``max_retries``, ``cache_dir``, ``use_cache``,
    ...). Returns an ``ExtractionResult``: ``.status`` is "ok", "invalid" or
    "error", ``.extraction`` the validated ``Extraction`` when ok, ``.usage``
    the tokens spent. Raises ``InputError`` for an empty text and
    ``ConfigError`` for settings that cannot work.
    """
    return _run(aextract(text, published=published, title=title, id=id, settings=settings, **options))


async def aextract_many(
    articles: Iterable[ArticleLike],
    *,
    published: dt.date | str | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> AsyncGenerator[ExtractionResult, None]:
    """Results for many articles, in the order they finish."""
    resolved = settings_for(settings, **options)
    async with aclosing(extract_stream(_articles(articles, published), resolved)) as stream:
        async for result in stream:
            yield result


def extract_many(
    articles: Iterable[ArticleLike],
    *,
    published: dt.date | str | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> Iterator[ExtractionResult]:
    """Results for many articles (texts, records or Articles), as they finish.

    Runs ``concurrency`` articles at a time on a private event loop; the
    input is read lazily, so a generator of millions of records is fine.
    """
    stream = aextract_many(articles, published=published, settings=settings, **options)
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(stream.__anext__())
            except StopAsyncIteration:
                return
    finally:
        # A caller that stops early still gets its client and cache closed.
        loop.run_until_complete(stream.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _articles(items: Iterable[ArticleLike], published: Any) -> Iterator[Article | InputError]:
    """Articles, or errors that still name their article so it gets a result."""
    for index, item in enumerate(items):
        try:
            yield as_article(item, index, published)
        except InputError as exc:
            if exc.article_id is None:
                exc.article_id = str(item.get("id", index)) if isinstance(item, Mapping) else str(index)
            yield exc


def _run(coro: Any) -> Any:
    """Run a coroutine to completion, even when called from inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
