"""Click options and error handling shared by every command; each option is declared once here.

Commands take the options they honour from these decorators, so a help text,
a default or the list of modes cannot drift between commands.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from extractor.errors import ExtractorError
from extractor.settings import MODES

F = Callable[..., Any]

model_option = click.option(
    "--model", "-m",
    help="Model name; 'rules' (offline); local:NAME (see 'extractor models') or gguf:PATH to serve a GGUF file. "
         "[env: EXTRACTOR_MODEL]")
base_url_option = click.option("--base-url", help="OpenAI-compatible server URL. [env: OPENAI_BASE_URL]")
mode_option = click.option("--mode", type=click.Choice(MODES),
                           help="How instructor asks for structure. [default: tools for OpenAI, json_schema otherwise]")
max_retries_option = click.option("--max-retries", type=int, default=2, show_default=True,
                                  help="Re-asks after a validation failure.")
concurrency_option = click.option("--concurrency", "-j", type=int,
                                  help="Articles in flight. [default: 4; 1 for a local server]")
cache_dir_option = click.option("--cache-dir", type=click.Path(path_type=Path),
                                help="Cache directory. [env: EXTRACTOR_CACHE_DIR]")
no_cache_option = click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
timeout_option = click.option("--timeout", type=float, help="Seconds per request. [default: 60; 900 for a local server]")
prices_option = click.option("--prices", "prices_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                             help="JSON prices per million tokens, overriding the packaged table.")
published_option = click.option("--published", help="Publication date (YYYY-MM-DD) for inputs that do not give one.")
encoding_option = click.option("--encoding", help="Encoding of text files and standard input (e.g. cp1251). "
                               "[default: UTF-8; HTML: its declared charset, else detected]")
articles_option = click.option(
    "--articles", type=click.Path(exists=True, path_type=Path),
    help="The run's input (a JSONL file, or any input extract reads): titles, dates and texts of its articles.")


def _apply(func: F, options: list[Callable[[F], F]]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def model_options(func: F) -> F:
    """Options that shape each model call and its cache entry."""
    return _apply(func, [
        model_option,
        base_url_option,
        mode_option,
        click.option("--prompt", "-p",
                     help="Prompt name (see 'extractor prompts'). [default: default; ask for local: and gguf: models]"),
        click.option("--temperature", type=float, default=0.0, show_default=True),
        click.option("--max-tokens", type=int, help="Room for the answer. [default: 4096; 2048 for a local server]"),
        max_retries_option,
        timeout_option,
        concurrency_option,
        cache_dir_option,
        no_cache_option,
    ])


chunk_tokens_option = click.option(
    "--chunk-tokens", type=click.IntRange(min=0),
    help="Read an article whose prompt passes this many tokens in overlapping parts, merged into one record; "
         "0: never. [default: 10,000 for a local: model (its window); else --max-input-tokens]")


def run_options(func: F) -> F:
    """Options that pace and bound a run of interactive calls."""
    return _apply(func, [
        click.option("--rpm", type=float, help="Requests per minute the provider allows (paces requests)."),
        click.option("--tpm", type=float, help="Tokens per minute the provider allows (paces requests)."),
        click.option("--max-cost", type=float, help="Stop starting calls before the estimated spend passes this many dollars."),
        prices_option,
        click.option("--max-input-tokens", type=int,
                     help="Articles estimated longer than this are recorded as input_too_long, not sent. "
                          "[default: 120,000; 100,000 for a local: model, read in parts]"),
        chunk_tokens_option,
    ])


_RUN_KEYS = ("rpm", "tpm", "max_cost", "prices_path", "max_input_tokens", "chunk_tokens")


def settings_from(options: dict[str, Any]) -> Any:
    """Settings from the shared options (argument > env > default); consumes them."""
    from extractor.settings import resolve_settings

    settings = resolve_settings(
        model=options.pop("model"), base_url=options.pop("base_url"), mode=options.pop("mode"),
        cache_dir=options.pop("cache_dir"), prompt=options.pop("prompt"),
        temperature=options.pop("temperature"), max_tokens=options.pop("max_tokens"),
        max_retries=options.pop("max_retries"), timeout=options.pop("timeout"),
        concurrency=options.pop("concurrency"), use_cache=not options.pop("no_cache"),
        **{key: options.pop(key, None) for key in _RUN_KEYS},
    )
    if settings.model_defaulted:
        click.echo(
            "note: no OPENAI_API_KEY or base URL set, so using the offline 'rules' model; "
            "set OPENAI_API_KEY or pass --base-url (and --model) to use a language model",
            err=True,
        )
    return settings


def cache_dir_or_default(cache_dir: Path | None) -> Path:
    from extractor.settings import default_cache_dir

    return cache_dir or default_cache_dir()


def quiet_library_loggers() -> None:
    """Show our warnings as lines; hush instructor's per-attempt error logs.

    Every failure instructor logs is already in the article's record, so on a
    terminal its tracebacks would only be noise.
    """
    import logging

    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    logging.getLogger("instructor").setLevel(logging.CRITICAL)


class Terminated(KeyboardInterrupt):
    """SIGTERM (what timeout, systemd and container runtimes send), handled as Ctrl-C is."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def handle_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C: finished records kept, a local model server stopped, exit 143."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
        signal.signal(signal.SIGTERM, _terminate)


def reports_errors(func: F) -> F:
    """Turn ExtractorError into one line and its exit code; Ctrl-C into 130, SIGTERM into 143."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ExtractorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            what = "terminated" if isinstance(exc, Terminated) else "interrupted"
            click.echo(f"{what}: finished records are on disk; rerun with the same --output to resume", err=True)
            sys.exit(143 if isinstance(exc, Terminated) else 130)

    return wrapper
